import { type Kysely, sql } from 'kysely'
import { appendOnly } from './append-only.js'

/**
 * Consent: purposes, the append-only consent ledger, and the suppression list of numbers that
 * objected (salted hashes, kept after erasure). Messages record the purpose a send served.
 * Frozen once landed.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  await db.schema
    .createTable('consent_purposes')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('label_de', 'text', (c) => c.notNull())
    .addColumn('label_en', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  const now = new Date().toISOString()
  await db
    .insertInto('consent_purposes')
    .values([
      { key: 'marketing', label_de: 'Angebote und Newsletter', label_en: 'Offers and newsletters', created_at: now },
      { key: 'reviews', label_de: 'Bewertungsanfragen', label_en: 'Review requests', created_at: now },
    ])
    .execute()

  // Never updated: the current state of a consent is derived from its events (GDPR-7 (c)).
  await db.schema
    .createTable('consent_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('requested', 'confirmed', 'withdrawn', 'objected')`))
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('web', 'whatsapp', 'agent', 'import', 'meta')`))
    .addColumn('text', 'text') // the exact wording shown, when there was one
    .addColumn('text_sha256', 'text')
    .addColumn('notice_version', 'text')
    .addColumn('source', 'text', (c) => c.notNull()) // JSON: form URL, keyword, agent and reason, import provenance
    .addColumn('evidence', 'text', (c) => c.notNull()) // JSON: confirming message, IP and user agent
    .addColumn('evidence_ref', 'text') // e.g. the wamid that carried the keyword: one event per purpose and kind
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addColumn('recorded_by', 'text')
    .addColumn('expires_at', 'text') // an unconfirmed request lapses
    .execute()
  await db.schema.createIndex('consent_events_contact_idx').on('consent_events').columns(['contact_id', 'purpose', 'occurred_at']).execute()
  await db.schema.createIndex('consent_events_evidence_uq').unique().on('consent_events').columns(['evidence_ref', 'purpose', 'kind']).execute()
  await appendOnly(db, dialect, 'consent_events')

  await db.schema
    .createTable('suppressions')
    .addColumn('number_hash', 'text', (c) => c.notNull()) // HMAC-SHA256 of the E.164 number with a key derived from the master key
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('suppressions_pk', ['number_hash', 'scope'])
    .execute()

  // Which version of the privacy notice went to whom, and in which message (GDPR-13/14).
  await db.schema
    .createTable('privacy_notice_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('privacy_notice_deliveries_contact_idx').on('privacy_notice_deliveries').columns(['contact_id', 'version']).execute()

  // Which consent purpose a send served; null for service messages (answers, order updates).
  await db.schema.alterTable('messages').addColumn('purpose', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['privacy_notice_deliveries', 'suppressions', 'consent_events', 'consent_purposes']) await db.schema.dropTable(t).ifExists().execute()
}
