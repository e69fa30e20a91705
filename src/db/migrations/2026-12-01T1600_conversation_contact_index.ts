import type { Kysely } from 'kysely'

/**
 * `conversations_contact_idx (contact_id)` repeats the first column of the unique
 * `(contact_id, channel_id)` index, which answers the same lookups. Every message moves its
 * conversation's last message time, an indexed column, so each of its indexes takes a new entry
 * per message: one index fewer to write on the ingest path. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('conversations_contact_idx').ifExists().execute()
}
