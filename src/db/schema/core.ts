import type { ColumnType, Generated } from 'kysely'

/** The inbox's tables: people, accounts, numbers, the journal, conversations, messages, media, jobs, workspace. Times are ISO-8601 UTC strings with milliseconds. */
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
  /** Sealed TOTP secret once two-factor login is on (see modules/auth/two-factor.ts). */
  totp_secret: string | null
  /** Sealed TOTP secret shown for setup, until a code confirms it. */
  totp_pending: string | null
  totp_last_step: number | null
  totp_enabled_at: string | null
  last_login_at: string | null
}

/** Whether a colleague takes conversations from automatic assignment (see modules/assignment). */
export interface TeamPresenceTable {
  user_id: string
  /** Set by the person: available or away. */
  availability: 'available' | 'away'
  /** Renewed while they have the app open (its live-update stream); null: never. */
  present_at: string | null
  /** When automatic assignment last gave them a conversation (ties go to whoever waited longest). */
  last_assigned_at: string | null
}

export interface RecoveryCodesTable {
  id: string
  user_id: string
  code_hash: string
  created_at: string
  used_at: string | null
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
  /** Sealed (ContactDetails); looked up by `wa_key`. */
  wa_id: string | null
  /** Keyed hash of the number (ContactDetails.lookupKey): unique. */
  wa_key: ColumnType<string | null, string | null | undefined, string | null>
  /** The business-scoped user id (BSUID), sealed; looked up by `user_key`. */
  user_id: string | null
  user_key: ColumnType<string | null, string | null | undefined, string | null>
  profile_name: string | null
  /** The newest rectified name (GDPR-16); wins over the WhatsApp profile name. */
  name_override: ColumnType<string | null, string | null | undefined, string | null>
  /** Art. 18: set while the person's data is kept only for a retention duty (hidden from agents). */
  restricted_at: ColumnType<string | null, string | null | undefined, string | null>
  restriction_reason: ColumnType<string | null, string | null | undefined, string | null>
  /** The date the last retention duty ends (YYYY-MM-DD). */
  erase_after: ColumnType<string | null, string | null | undefined, string | null>
  erased_at: ColumnType<string | null, string | null | undefined, string | null>
  /** The last consent-based send to the person (a trigger keeps it): consent evidence is kept for years after it (UWG-7a). */
  consent_used_at: ColumnType<string | null, string | null | undefined, string | null>
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
  /** A waiting conversation's reminder: it opens again at this time (null: waits for the customer). */
  pending_until: ColumnType<string | null, string | null | undefined, string | null>
  /** When the assignee last changed (by a person or automatically); null: never since creation. */
  assignee_changed_at: ColumnType<string | null, string | null | undefined, string | null>
  /** The customer's first message since a colleague last answered (null: nobody waits; cleared when resolved or set to waiting). */
  awaiting_reply_since: ColumnType<string | null, string | null | undefined, string | null>
  /** When a colleague last answered (a customer message from before it starts no wait). */
  last_reply_at: ColumnType<string | null, string | null | undefined, string | null>
  /** The wait (its `awaiting_reply_since`) the team was last told had passed the reply target. */
  overdue_notified_for: ColumnType<string | null, string | null | undefined, string | null>
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
  /**
   * mention: a colleague named them in a note; reminder: a waiting conversation opened again at its
   * time; assigned: a conversation was given to them (actor null: automatically); reply_overdue: a
   * customer has waited longer than the reply target (to the assignee, or the admins while nobody has it).
   */
  kind: 'mention' | 'reminder' | 'assigned' | 'reply_overdue'
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
/** The blind index of message texts (keyed hashes of word prefixes, see BlindIndex). */
export interface MessageTermsTable {
  term: number
  message_id: string
}

/** The blind index of contacts' shown names (see ContactDetails). */
export interface ContactTermsTable {
  term: number
  contact_id: string
}
