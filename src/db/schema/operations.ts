
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
