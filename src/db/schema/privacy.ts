import type { ColumnType } from 'kysely'

/** Consent, the suppression list, data-subject requests, audit log, breaches, erasure receipts, the Art. 30 record, privacy tasks and integrations. */
export type ConsentKind = 'requested' | 'confirmed' | 'withdrawn' | 'objected'
export type ConsentChannel = 'web' | 'whatsapp' | 'agent' | 'import' | 'meta'

export interface ConsentPurposesTable {
  key: string
  label_de: string
  label_en: string
  created_at: string
}

export interface ConsentEventsTable {
  id: string
  contact_id: string
  purpose: string
  kind: ConsentKind
  channel: ConsentChannel
  text: string | null
  text_sha256: string | null
  notice_version: string | null
  source: string
  evidence: string
  evidence_ref: string | null
  occurred_at: string
  recorded_at: string
  recorded_by: string | null
  expires_at: string | null
}

/** A § 7(3) UWG existing-customer basis for advertising without consent (see the migration). */
export interface ExistingCustomerBasesTable {
  id: string
  contact_id: string
  purpose: string
  sale_reference: string
  sold_at: string
  notice_text: string
  recorded_at: string
  recorded_by: string | null
}

export interface PrivacyNoticeDeliveriesTable {
  id: string
  contact_id: string
  conversation_id: string
  message_id: string
  version: string
  created_at: string
}


export interface IntegrationsTable {
  id: string
  name: string
  url: string
  secret: string
  created_by: string | null
  created_at: string
  removed_at: string | null
}

export interface PrivacyTasksTable {
  id: string
  contact_id: string
  kind: 'inform-before-lifting'
  reason: string
  created_by: string | null
  created_at: string
  completed_by: string | null
  completed_at: string | null
  note: string | null
}

export interface SuppressionsTable {
  number_hash: string
  scope: string
  reason: string
  created_at: string
}

export type DsrKind = 'access' | 'portability' | 'rectification' | 'erasure' | 'restriction' | 'objection'
export type DsrStatus = 'open' | 'completed' | 'refused'

export interface AuditLogTable {
  id: string
  at: string
  actor_id: string | null
  actor_kind: 'user' | 'token' | 'system'
  actor_role: string | null
  action: string
  contact_id: string | null
  target: string
  detail: string
  ip: string | null
  user_agent: string | null
}

export interface DsrRequestsTable {
  id: string
  contact_id: string | null
  kind: DsrKind
  channel: string
  received_at: string
  due_at: string
  extended_due_at: string | null
  extension_reason: string | null
  identity_verified_at: string | null
  status: DsrStatus
  outcome: string | null
  closed_at: string | null
  note: string | null
  created_by: string | null
  created_at: string
  updated_at: string
}

export interface ContactCorrectionsTable {
  id: string
  contact_id: string
  field: string
  old_value: string | null
  new_value: string
  reason: string
  dsr_id: string | null
  corrected_by: string | null
  corrected_at: string
}

export interface BreachesTable {
  id: string
  title: string
  aware_at: string
  due_at: string
  source: string
  nature: ColumnType<string, string | undefined, string>
  categories: ColumnType<string, string | undefined, string>
  subjects_approx: number | null
  records_approx: number | null
  consequences: ColumnType<string, string | undefined, string>
  measures: ColumnType<string, string | undefined, string>
  contact_point: ColumnType<string, string | undefined, string>
  risk: ColumnType<string, string | undefined, string>
  notified_authority_at: string | null
  late_reason: string | null
  notified_subjects_at: string | null
  closed_at: string | null
  created_by: string | null
  created_at: string
  updated_at: string
}

export interface BreachUpdatesTable {
  id: string
  breach_id: string
  text: string
  author_id: string | null
  created_at: string
}

export interface ErasureReceiptsTable {
  id: string
  contact_id: string
  dsr_id: string | null
  summary: string
  created_by: string | null
  created_at: string
}

export interface ProcessingRecordsTable {
  version: number
  content_sha256: string
  content: string
  created_at: string
}
