import type { Kysely } from 'kysely'

/**
 * Automatic answers (greeting, away message): which went to which conversation when, so that each
 * goes at most once per conversation within its period. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('automation_sends')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('kind', 'text', (c) => c.notNull()) // greeting | away | legal-notice
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('automation_sends_conversation_idx').on('automation_sends').columns(['conversation_id', 'kind', 'created_at']).execute()
}
