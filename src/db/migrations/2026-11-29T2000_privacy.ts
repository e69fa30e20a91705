import { type Kysely, sql } from 'kysely'
import { appendOnly, noUpdate } from './append-only.js'

/**
 * Data-protection workflow: the audit log (who read, exported, changed personal data), data-subject
 * requests with their deadlines, rectification history, and the breach register.
 * Frozen once landed.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  // Append-only; never holds message text or numbers, only references (GDPR-5 (2) accountability).
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text') // user or API token id; null for the system
    .addColumn('actor_kind', 'text', (c) => c.notNull().check(sql`actor_kind in ('user', 'token', 'system')`))
    .addColumn('actor_role', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text') // whose data, when it is about a person
    .addColumn('target', 'text', (c) => c.notNull()) // e.g. contact:<id>, dsr:<id>
    .addColumn('detail', 'text', (c) => c.notNull()) // JSON without personal data
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute()
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').columns(['at', 'id']).execute()
  await db.schema.createIndex('audit_log_contact_idx').on('audit_log').columns(['contact_id', 'at']).execute()
  await appendOnly(db, dialect, 'audit_log')

  await db.schema
    .createTable('dsr_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.references('contacts.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('access', 'portability', 'rectification', 'erasure', 'restriction', 'objection')`))
    .addColumn('channel', 'text', (c) => c.notNull()) // how it arrived: whatsapp, email, letter, phone, web
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text', (c) => c.notNull()) // one month after receipt (Art. 12(3))
    .addColumn('extended_due_at', 'text') // up to two further months, only with a reason
    .addColumn('extension_reason', 'text')
    .addColumn('identity_verified_at', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'completed', 'refused')`))
    .addColumn('outcome', 'text') // what the person was told (or why it was refused, Art. 12(4))
    .addColumn('closed_at', 'text')
    .addColumn('note', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('dsr_requests_status_idx').on('dsr_requests').columns(['status', 'due_at']).execute()

  // Rectification appends; the live value is the newest correction, the history stays (GDPR-16).
  await db.schema
    .createTable('contact_corrections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('old_value', 'text')
    .addColumn('new_value', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('dsr_id', 'text')
    .addColumn('corrected_by', 'text')
    .addColumn('corrected_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('contact_corrections_contact_idx').on('contact_corrections').columns(['contact_id', 'corrected_at']).execute()
  // Corrections are never edited; an erasure of the person deletes them with the rest.
  await noUpdate(db, dialect, 'contact_corrections')
  await db.schema.alterTable('contacts').addColumn('name_override', 'text').execute()

  // Erasure against retention (compliance 1.5): what is under a retention duty is restricted until
  // it ends; everything else goes at once. The class decides: handelsbrief, buchungsbeleg, buch
  // (tax retention), marketing or none. Null means the configured default (or marketing for sends
  // that served a consent purpose).
  await db.schema.alterTable('conversations').addColumn('retention_class', 'text').execute()
  await db.schema.alterTable('messages').addColumn('retention_class', 'text').execute()
  await db.schema.alterTable('contacts').addColumn('restricted_at', 'text').execute() // Art. 18: hidden from agents, kept for the auditor
  await db.schema.alterTable('contacts').addColumn('restriction_reason', 'text').execute()
  await db.schema.alterTable('contacts').addColumn('erase_after', 'text').execute() // the date retention ends
  await db.schema.alterTable('contacts').addColumn('erased_at', 'text').execute()
  // What an erasure did, without personal data: counts, classes, dates.
  await db.schema
    .createTable('erasure_receipts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('dsr_id', 'text')
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await appendOnly(db, dialect, 'erasure_receipts')

  // Art. 33: every breach is documented, notified or not; the 72 h run from awareness.
  await db.schema
    .createTable('breaches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('aware_at', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull()) // manual, integrity-check
    .addColumn('nature', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('categories', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('subjects_approx', 'integer')
    .addColumn('records_approx', 'integer')
    .addColumn('consequences', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('measures', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('contact_point', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('risk', 'text', (c) => c.notNull().defaultTo('unassessed'))
    .addColumn('notified_authority_at', 'text')
    .addColumn('late_reason', 'text')
    .addColumn('notified_subjects_at', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  // Phases (Art. 33(4)): what was known or done when; never rewritten.
  await db.schema
    .createTable('breach_updates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('breach_id', 'text', (c) => c.notNull().references('breaches.id'))
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('author_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await appendOnly(db, dialect, 'breach_updates')

  // Versions of the Art. 30 record: a new one whenever the configuration behind it changes.
  await db.schema
    .createTable('processing_records')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('content_sha256', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull()) // JSON of fields (a)–(g)
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await appendOnly(db, dialect, 'processing_records')
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['erasure_receipts', 'processing_records', 'breach_updates', 'breaches', 'contact_corrections', 'dsr_requests', 'audit_log']) await db.schema.dropTable(t).ifExists().execute()
}
