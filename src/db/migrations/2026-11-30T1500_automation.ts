import type { Kysely } from 'kysely'

/**
 * Running WhatsApp as a channel. Automatic answers (greeting, away message): which went to which
 * conversation when, so that each goes at most once per conversation within its period. Account
 * events: what Meta reported about templates, the number and the account (status, quality,
 * limits, alerts), projected from the journal. Frozen once landed.
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

  await db.schema
    .createTable('account_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('journal_seq', 'bigint', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull()) // the webhook field, e.g. message_template_status_update
    .addColumn('subject', 'text', (c) => c.notNull()) // template:<name>/<language>, number:<display>, account:<id>
    .addColumn('event', 'text', (c) => c.notNull()) // APPROVED, REJECTED, DOWNGRADE, YELLOW, …
    .addColumn('detail', 'text', (c) => c.notNull()) // JSON: reason, limits, description
    .addColumn('alert', 'integer', (c) => c.notNull()) // 1 when an admin must look at it
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('account_events_subject_idx').on('account_events').columns(['subject', 'occurred_at']).execute()
  await db.schema.createIndex('account_events_seq_uq').unique().on('account_events').columns(['journal_seq', 'field', 'subject', 'event']).execute()
}
