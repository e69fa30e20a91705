import { type Kysely, sql } from 'kysely'

/**
 * Running WhatsApp as a channel (opening hours and automatic answers, Meta's reports, campaigns,
 * statistics). Frozen once landed.
 * - automation_sends: which automatic answer (greeting, away message, legal notice) went to which
 *   conversation when, so that each goes at most once per conversation within its period.
 * - account_events: what Meta reported about templates, the number and the account (status,
 *   quality, limits, alerts), projected from the journal.
 * - campaigns and their recipients, consent-checked per recipient; recipients keep why they were
 *   left out.
 * - conversation_resolutions: when a conversation was resolved, for resolution times.
 * - on SQLite, an index on message time for statistics across conversations.
 * - integrations: systems (a CRM) told by signed webhook when a person's data is erased,
 *   restricted or rectified (GDPR-19); their secrets sealed.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
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

  // Statistics read messages by time across conversations (PostgreSQL has such an index for search).
  if (dialect === 'sqlite') await db.schema.createIndex('messages_time_idx').on('messages').column('timestamp').execute()

  await db.schema
    .createTable('campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull().references('consent_purposes.key'))
    .addColumn('template', 'text', (c) => c.notNull()) // JSON: { name, language, parameters }
    .addColumn('audience', 'text', (c) => c.notNull()) // JSON: labels and contact attributes
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('draft', 'scheduled', 'running', 'paused', 'cancelled', 'completed')`))
    .addColumn('scheduled_at', 'text')
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('campaign_recipients')
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'queued', 'skipped')`))
    .addColumn('skip_reason', 'text') // no-consent, withdrawn, objected, suppressed, restricted, cancelled
    .addColumn('message_id', 'text')
    .addColumn('queued_at', 'text')
    .addPrimaryKeyConstraint('campaign_recipients_pk', ['campaign_id', 'contact_id'])
    .execute()
  await db.schema.createIndex('campaign_recipients_state_idx').on('campaign_recipients').columns(['campaign_id', 'state']).execute()
  await db.schema.createIndex('campaign_recipients_queued_idx').on('campaign_recipients').columns(['queued_at']).execute()

  await db.schema
    .createTable('conversation_resolutions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('resolved_by', 'text')
    .addColumn('resolved_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('conversation_resolutions_at_idx').on('conversation_resolutions').columns(['resolved_at']).execute()
  await db.schema.createIndex('conversation_resolutions_conversation_idx').on('conversation_resolutions').columns(['conversation_id', 'resolved_at']).execute()

  await db.schema
    .createTable('integrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull()) // sealed
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('removed_at', 'text')
    .execute()
}
