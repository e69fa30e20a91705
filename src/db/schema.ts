import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

/** Row types of every table. Times are ISO-8601 UTC strings with milliseconds. */
export type Role = 'admin' | 'agent' | 'auditor'
export type RetentionClass = 'handelsbrief' | 'buchungsbeleg' | 'buch' | 'marketing' | 'none'
export type ConversationStatus = 'open' | 'pending' | 'resolved'
export type MessageDirection = 'inbound' | 'outbound'
export type MessageStatus = 'received' | 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'uncertain'
export type JobState = 'queued' | 'running' | 'done' | 'failed'
export type MediaState = 'pending' | 'stored' | 'failed'

export interface UsersTable {
  id: string
  email: string
  name: string
  role: Role
  password_hash: string
  active: number
  created_at: string
  updated_at: string
}

export interface SessionsTable {
  id: string
  user_id: string
  csrf_token: string
  created_at: string
  expires_at: string
  last_seen_at: string
  revoked_at: string | null
  user_agent: string | null
}

export interface ApiTokensTable {
  id: string
  name: string
  token_hash: string
  role: Role
  created_by: string | null
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}

export interface ChannelsTable {
  id: string
  waba_id: string
  display_phone_number: string | null
  paused_reason: string | null
  paused_at: string | null
  created_at: string
  updated_at: string
}

export interface JournalTable {
  seq: Generated<number>
  received_at: string
  kind: string
  content_sha256: string
  content: Buffer | null
  key_id: string | null
  commitment: ColumnType<string | null, string | null | undefined, never>
  stored_sha256: ColumnType<string | null, string | null | undefined, never>
}

export interface UnroutedEventsTable {
  journal_seq: number
  phone_number_id: string | null
  reason: string
  created_at: string
}

export interface ContactsTable {
  id: string
  wa_id: string | null
  user_id: string | null
  profile_name: string | null
  /** The newest rectified name (GDPR-16); wins over the WhatsApp profile name. */
  name_override: ColumnType<string | null, string | null | undefined, string | null>
  /** Art. 18: set while the person's data is kept only for a retention duty (hidden from agents). */
  restricted_at: ColumnType<string | null, string | null | undefined, string | null>
  restriction_reason: ColumnType<string | null, string | null | undefined, string | null>
  /** The date the last retention duty ends (YYYY-MM-DD). */
  erase_after: ColumnType<string | null, string | null | undefined, string | null>
  erased_at: ColumnType<string | null, string | null | undefined, string | null>
  first_contact_at: string
  last_contact_at: string
  created_at: string
  updated_at: string
}

export interface ConversationsTable {
  id: string
  contact_id: string
  channel_id: string
  status: ConversationStatus
  assignee_id: string | null
  last_message_at: string
  last_inbound_at: string | null
  /** `created_at` of the newest inbound message the team has seen (unread = inbound stored after it). */
  read_up_to: ColumnType<string | null, string | null | undefined, string | null>
  /** handelsbrief, buchungsbeleg, buch, marketing, none; null: the configured default. */
  retention_class: ColumnType<RetentionClass | null, RetentionClass | null | undefined, RetentionClass | null>
  created_at: string
  updated_at: string
}

export interface MessagesTable {
  id: string
  conversation_id: string
  wamid: string | null
  direction: MessageDirection
  type: string
  status: MessageStatus
  timestamp: string
  content: string
  key_id: string | null
  context_wamid: string | null
  error_code: number | null
  error_title: string | null
  error_detail: string | null
  sent_by: string | null
  journal_seq: number | null
  /** The consent purpose a send served (marketing, reviews …); null for service messages. */
  purpose: ColumnType<string | null, string | null | undefined, string | null>
  /** Overrides the conversation's class for this message. */
  retention_class: ColumnType<RetentionClass | null, RetentionClass | null | undefined, RetentionClass | null>
  created_at: string
  updated_at: string
}

export interface MessageStatusesTable {
  wamid: string
  status: string
  occurred_at: string
  errors: string | null
  pricing: string | null
  biz_opaque_callback_data: string | null
  journal_seq: number
}

export interface MediaTable {
  id: string
  direction: MessageDirection
  state: MediaState
  mime_type: string
  filename: string | null
  size: number | null
  sha256: string | null
  expected_sha256: string | null
  graph_media_id: string | null
  graph_uploaded_at: string | null
  last_error: string | null
  created_at: string
  updated_at: string
  journal_seq: ColumnType<number | null, number | null | undefined, number | null>
}

export interface JobsTable {
  id: string
  kind: string
  group_key: string | null
  payload: string
  state: JobState
  run_at: string
  attempts: number
  lease_until: string | null
  last_error: string | null
  created_at: string
  updated_at: string
}

export interface LabelsTable {
  id: string
  name: string
  color: string
  created_at: string
  updated_at: string
}

export interface ConversationLabelsTable {
  conversation_id: string
  label_id: string
  created_by: string | null
  created_at: string
}

export interface NotesTable {
  id: string
  conversation_id: string
  author_id: string
  body: string
  /** JSON array of mentioned user ids. */
  mentions: string
  created_at: string
}

export interface NotificationsTable {
  id: string
  user_id: string
  kind: 'mention'
  conversation_id: string
  note_id: string | null
  actor_id: string | null
  created_at: string
  read_at: string | null
}

export interface QuickRepliesTable {
  id: string
  shortcut: string
  body: string
  /** null: shared with the team. */
  owner_id: string | null
  created_at: string
  updated_at: string
}

export interface SettingsTable {
  key: string
  value: string
  updated_by: string | null
  updated_at: string
}

/** SQLite's full-text index of message text (kept by triggers; PostgreSQL uses messages.search). */
export interface MessagesFtsTable {
  rowid: number
  body: string
  message_id: string
  conversation_id: string
}

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

export interface PrivacyNoticeDeliveriesTable {
  id: string
  contact_id: string
  conversation_id: string
  message_id: string
  version: string
  created_at: string
}

export interface AutomationSendsTable {
  id: string
  conversation_id: string
  kind: 'greeting' | 'away' | 'legal-notice'
  message_id: string
  created_at: string
}

export interface AccountEventsTable {
  id: string
  journal_seq: number
  field: string
  subject: string
  event: string
  detail: string
  alert: number
  occurred_at: string
}

export type CampaignStatus = 'draft' | 'scheduled' | 'running' | 'paused' | 'cancelled' | 'completed'

export interface CampaignsTable {
  id: string
  name: string
  purpose: string
  template: string
  audience: string
  status: CampaignStatus
  scheduled_at: string | null
  started_at: string | null
  finished_at: string | null
  created_by: string | null
  created_at: string
  updated_at: string
}

export interface CampaignRecipientsTable {
  campaign_id: string
  contact_id: string
  state: 'pending' | 'queued' | 'skipped'
  skip_reason: string | null
  message_id: string | null
  queued_at: string | null
}

export interface ConversationResolutionsTable {
  id: string
  conversation_id: string
  resolved_by: string | null
  resolved_at: string
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

export interface ArchiveLeavesTable {
  idx: number
  journal_seq: number
  leaf_data: Buffer
}

export interface ArchiveNodesTable {
  level: number
  idx: number
  hash: Buffer
}

export interface ArchiveCheckpointsTable {
  size: number
  root_hash: string
  note: string
  created_at: string
}

export interface ArchiveTimestampsTable {
  checkpoint_size: number
  tsa_url: string
  response: Buffer
  created_at: string
}

export interface DataKeysTable {
  id: string
  subject_ref: string
  period: string
  wrapped: string | null
  created_at: string
  destroyed_at: string | null
  destroyed_reason: string | null
}

export interface ArchiveReleasesTable {
  id: string
  version: string
  journal_seq_from: number
  started_at: string
}

export interface ArchiveClassificationsTable {
  id: string
  conversation_id: string
  message_id: string | null
  previous_class: RetentionClass | null
  class: RetentionClass
  reason: string
  actor_id: string | null
  created_at: string
}

export type HoldScope = 'contact' | 'conversation' | 'period'

export interface LegalHoldsTable {
  id: string
  scope: HoldScope
  contact_id: string | null
  conversation_id: string | null
  period_from: string | null
  period_to: string | null
  reason: string
  created_by: string | null
  created_at: string
  released_at: string | null
  released_by: string | null
  release_reason: string | null
}

export interface Database {
  users: UsersTable
  sessions: SessionsTable
  api_tokens: ApiTokensTable
  channels: ChannelsTable
  journal: JournalTable
  unrouted_events: UnroutedEventsTable
  contacts: ContactsTable
  conversations: ConversationsTable
  messages: MessagesTable
  message_statuses: MessageStatusesTable
  media: MediaTable
  jobs: JobsTable
  labels: LabelsTable
  conversation_labels: ConversationLabelsTable
  notes: NotesTable
  notifications: NotificationsTable
  quick_replies: QuickRepliesTable
  settings: SettingsTable
  messages_fts: MessagesFtsTable
  consent_purposes: ConsentPurposesTable
  consent_events: ConsentEventsTable
  suppressions: SuppressionsTable
  privacy_notice_deliveries: PrivacyNoticeDeliveriesTable
  automation_sends: AutomationSendsTable
  account_events: AccountEventsTable
  campaigns: CampaignsTable
  campaign_recipients: CampaignRecipientsTable
  conversation_resolutions: ConversationResolutionsTable
  integrations: IntegrationsTable
  privacy_tasks: PrivacyTasksTable
  audit_log: AuditLogTable
  dsr_requests: DsrRequestsTable
  contact_corrections: ContactCorrectionsTable
  breaches: BreachesTable
  breach_updates: BreachUpdatesTable
  processing_records: ProcessingRecordsTable
  erasure_receipts: ErasureReceiptsTable
  archive_leaves: ArchiveLeavesTable
  archive_nodes: ArchiveNodesTable
  archive_checkpoints: ArchiveCheckpointsTable
  archive_releases: ArchiveReleasesTable
  archive_classifications: ArchiveClassificationsTable
  legal_holds: LegalHoldsTable
  data_keys: DataKeysTable
  archive_timestamps: ArchiveTimestampsTable
}

export type UserRow = Selectable<UsersTable>
export type ContactRow = Selectable<ContactsTable>
export type ConversationRow = Selectable<ConversationsTable>
export type MessageRow = Selectable<MessagesTable>
export type NewMessage = Insertable<MessagesTable>
export type MediaRow = Selectable<MediaTable>
export type JobRow = Selectable<JobsTable>
export type LabelRow = Selectable<LabelsTable>
export type NoteRow = Selectable<NotesTable>
export type QuickReplyRow = Selectable<QuickRepliesTable>
export type ConsentEventRow = Selectable<ConsentEventsTable>
