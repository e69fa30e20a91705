import { type Kysely, sql } from 'kysely'
import { appendOnly } from './append-only.js'

/**
 * The archive keeps tree nodes on every fourth level only (4, 8, 12 …), like Tessera's tiles (16
 * hashes wide); the others are computed from the stored level below (level 0 from the leaves).
 * Nodes are derived data — the signed checkpoints commit to the leaves — so dropping the others
 * loses nothing. The append-only triggers are lifted for this one statement. Frozen once landed.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect === 'sqlite') {
    await sql.raw('drop trigger archive_nodes_no_update').execute(db)
    await sql.raw('drop trigger archive_nodes_no_delete').execute(db)
  } else {
    await sql.raw('drop trigger archive_nodes_no_change on archive_nodes').execute(db)
  }
  await sql.raw('delete from archive_nodes where level = 0 or level % 4 <> 0').execute(db)
  await appendOnly(db, dialect, 'archive_nodes')
}
