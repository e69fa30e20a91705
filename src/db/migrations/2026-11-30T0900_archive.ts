import type { Kysely } from 'kysely'
import { appendOnly } from './append-only.js'

/**
 * The archive's Merkle log (RFC 6962) over the journal. Leaves are numbered without gaps in the
 * order the log took them in; every stored node is the hash of a complete subtree, so the root
 * and any proof need O(log n) reads. All three tables are append-only. Frozen once landed.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob'

  await db.schema
    .createTable('archive_leaves')
    .addColumn('idx', 'bigint', (c) => c.primaryKey())
    .addColumn('journal_seq', 'bigint', (c) => c.notNull().unique())
    .addColumn('leaf_data', blob as any, (c) => c.notNull()) // canonical leaf bytes (leaf.ts)
    .execute()
  await appendOnly(db, dialect, 'archive_leaves')

  // Node (level, idx) is the hash of leaves [idx·2^level, (idx+1)·2^level); level 0 is the leaf hash.
  await db.schema
    .createTable('archive_nodes')
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('idx', 'bigint', (c) => c.notNull())
    .addColumn('hash', blob as any, (c) => c.notNull())
    .addPrimaryKeyConstraint('archive_nodes_pk', ['level', 'idx'])
    .execute()
  await appendOnly(db, dialect, 'archive_nodes')

  // Every signed tree head ever issued, kept so that any two can be proven consistent.
  await db.schema
    .createTable('archive_checkpoints')
    .addColumn('size', 'bigint', (c) => c.primaryKey())
    .addColumn('root_hash', 'text', (c) => c.notNull()) // hex
    .addColumn('note', 'text', (c) => c.notNull()) // the C2SP signed note
    .addColumn('timestamp_token', blob as any) // RFC 3161 token over the note, when a TSA is configured
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await appendOnly(db, dialect, 'archive_checkpoints')
}
