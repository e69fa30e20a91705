import type { RetentionClass } from './core.js'

/** The revision-proof archive: Merkle log, checkpoints, time stamps, data keys, releases, classifications, legal holds. */
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
