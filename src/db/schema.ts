import type { Insertable, Selectable } from 'kysely'
import type { ArchiveCheckpointsTable, ArchiveClassificationsTable, ArchiveLeavesTable, ArchiveNodesTable, ArchiveReleasesTable, ArchiveTimestampsTable, DataKeysTable, LegalHoldsTable } from './schema/archive.js'
import type { ApiTokensTable, ChannelsTable, ContactsTable, ConversationLabelsTable, ConversationsTable, JobsTable, JournalTable, LabelsTable, MediaTable, MessageStatusesTable, MessageTermsTable, ContactTermsTable, MessagesTable, NotesTable, NotificationsTable, QuickRepliesTable, RecoveryCodesTable, SessionsTable, SettingsTable, TeamPresenceTable, UnroutedEventsTable, UsersTable } from './schema/core.js'
import type { AccountEventsTable, AutomationSendsTable, CampaignRecipientsTable, CampaignsTable, ConversationResolutionsTable, StatsChangesTable, StatsDayRevisionsTable, StatsDurationsTable, StatsMessageHoursTable } from './schema/operations.js'
import type { AuditLogTable, BreachUpdatesTable, BreachesTable, ConsentEventsTable, ConsentPurposesTable, ExistingCustomerBasesTable, ContactCorrectionsTable, DsrRequestsTable, ErasureReceiptsTable, IntegrationsTable, PrivacyNoticeDeliveriesTable, PrivacyTasksTable, ProcessingRecordsTable, SuppressionsTable } from './schema/privacy.js'

/** Row types of every table, by domain in `schema/`; this file names the whole database. */
export type * from './schema/archive.js'
export type * from './schema/core.js'
export type * from './schema/operations.js'
export type * from './schema/privacy.js'

export interface Database {
  users: UsersTable
  sessions: SessionsTable
  recovery_codes: RecoveryCodesTable
  team_presence: TeamPresenceTable
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
  message_terms: MessageTermsTable
  contact_terms: ContactTermsTable
  consent_purposes: ConsentPurposesTable
  consent_events: ConsentEventsTable
  existing_customer_bases: ExistingCustomerBasesTable
  suppressions: SuppressionsTable
  privacy_notice_deliveries: PrivacyNoticeDeliveriesTable
  automation_sends: AutomationSendsTable
  account_events: AccountEventsTable
  campaigns: CampaignsTable
  campaign_recipients: CampaignRecipientsTable
  conversation_resolutions: ConversationResolutionsTable
  stats_changes: StatsChangesTable
  stats_message_hours: StatsMessageHoursTable
  stats_durations: StatsDurationsTable
  stats_day_revisions: StatsDayRevisionsTable
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
