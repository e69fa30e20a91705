import { type Kysely, sql } from 'kysely'

/**
 * Campaigns: a marketing template to an audience, consent-checked per recipient when the audience
 * is fixed and again at send time. Recipients keep why they were left out. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
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
}
