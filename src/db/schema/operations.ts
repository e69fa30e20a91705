import type { Generated } from 'kysely'

/** Running WhatsApp as a channel: automatic answers, Meta's account events, campaigns, resolutions. */
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

/** Written by triggers on messages and resolutions; drained by the statistics projector. */
export interface StatsChangesTable {
  id: Generated<number>
  conversation_id: string
  channel_id: string | null
  kind: 'message' | 'resolution'
  at: string
  direction: string | null
  status: string | null
  delta: number
  timing: number
}

export interface StatsMessageHoursTable {
  hour: string
  channel_id: string
  direction: string
  status: string
  n: number
}

export interface StatsDurationsTable {
  id: Generated<number>
  conversation_id: string
  channel_id: string
  kind: 'response' | 'resolution'
  at: string
  day: string
  began: string | null
  seconds: number | null
  answered_by: string | null
}

export interface StatsDayRevisionsTable {
  day: string
  rev: number
}
