import type { Kysely } from 'kysely'

/** Statistics read messages by time across conversations. Frozen once landed. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('messages_time_idx').on('messages').columns(['timestamp', 'direction', 'status']).execute()
}
