import { type Kysely, sql } from 'kysely'

/**
 * Contact numbers and user ids are encrypted at rest (GDPR-32; the app seals them, see
 * ContactDetails), so they can no longer be looked up by their value: keyed hashes take that part
 * (`wa_key`, `user_key`, unique). The unique constraints on the sealed columns go on PostgreSQL;
 * SQLite cannot drop a column constraint without rebuilding the table, and sealed values never
 * repeat. Stored values are sealed and their keys filled by the app at its next start. Frozen once landed.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  await db.schema.alterTable('contacts').addColumn('wa_key', 'text').execute()
  await db.schema.alterTable('contacts').addColumn('user_key', 'text').execute()
  await db.schema.createIndex('contacts_wa_key').unique().on('contacts').column('wa_key').execute()
  await db.schema.createIndex('contacts_user_key').unique().on('contacts').column('user_key').execute()
  if (dialect === 'postgres') {
    await sql.raw('alter table contacts drop constraint if exists contacts_wa_id_key').execute(db)
    await sql.raw('alter table contacts drop constraint if exists contacts_user_id_key').execute(db)
  }
}
