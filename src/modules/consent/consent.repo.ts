import { createHash, createHmac } from 'node:crypto'
import type { Executor } from '../../db/database.js'
import type { ConsentChannel, ConsentEventRow, ConsentKind } from '../../db/schema.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import { appendEntries } from '../journal/journal.repo.js'

export type NewConsentEvent = {
  contactId: string
  purpose: string
  kind: ConsentKind
  channel: ConsentChannel
  text?: string | null
  noticeVersion?: string | null
  source: Record<string, unknown>
  evidence: Record<string, unknown>
  evidenceRef?: string | null
  occurredAt: string
  recordedBy?: string | null
  expiresAt?: string | null
}

/**
 * Appends consent events; an event already recorded for the same evidence is skipped (replays).
 * Each new event is also journaled, so the consent ledger is in the archive's log: its id, whose,
 * which purpose, what happened, when, and the digest of the text agreed to. Never the evidence or
 * the number (the confirming message is in the journal already, sealed).
 */
export async function appendConsentEvents(db: Executor, events: NewConsentEvent[]): Promise<void> {
  if (events.length === 0) return
  const recordedAt = nowIso()
  const rows = events.map((e) => ({
    id: newId(),
    contact_id: e.contactId,
    purpose: e.purpose,
    kind: e.kind,
    channel: e.channel,
    text: e.text ?? null,
    text_sha256: e.text ? createHash('sha256').update(e.text).digest('hex') : null,
    notice_version: e.noticeVersion ?? null,
    source: JSON.stringify(e.source),
    evidence: JSON.stringify(e.evidence),
    evidence_ref: e.evidenceRef ?? null,
    occurred_at: e.occurredAt,
    recorded_at: recordedAt,
    recorded_by: e.recordedBy ?? null,
    expires_at: e.expiresAt ?? null,
  }))
  const inserted = await db
    .insertInto('consent_events')
    .values(rows)
    .onConflict((oc) => oc.columns(['evidence_ref', 'purpose', 'kind']).doNothing())
    .returning('id')
    .execute()
  const fresh = new Set(inserted.map((r) => r.id))
  const journaled = rows
    .filter((r) => fresh.has(r.id))
    .map((r) => Buffer.from(JSON.stringify({ consentEvent: r.id, contact: r.contact_id, purpose: r.purpose, kind: r.kind, channel: r.channel, textSha256: r.text_sha256, noticeVersion: r.notice_version, occurredAt: r.occurred_at, recordedBy: r.recorded_by })))
  if (journaled.length) await appendEntries(db, 'consent.event', journaled)
}

export const listConsentEvents = (db: Executor, contactId: string): Promise<ConsentEventRow[]> =>
  db.selectFrom('consent_events').selectAll().where('contact_id', '=', contactId).orderBy('occurred_at').orderBy('recorded_at').execute()

export const listPurposes = (db: Executor) => db.selectFrom('consent_purposes').selectAll().orderBy('key').execute()

/**
 * The suppression list keeps numbers that objected as keyed hashes (HMAC-SHA256 with a key derived
 * from the master key): it survives the contact's erasure without keeping the number itself.
 */
export class Suppressions {
  constructor(private readonly key: Buffer) {}

  hash(waId: string): string {
    return createHmac('sha256', this.key).update(waId.replace(/\D/g, '')).digest('hex')
  }

  async add(db: Executor, waId: string, reason: string, at = nowIso()): Promise<void> {
    await db
      .insertInto('suppressions')
      .values({ number_hash: this.hash(waId), scope: 'marketing', reason, created_at: at })
      .onConflict((oc) => oc.columns(['number_hash', 'scope']).doNothing())
      .execute()
  }

  /** When the number was suppressed for marketing, if it was. */
  async since(db: Executor, waId: string): Promise<string | undefined> {
    const row = await db.selectFrom('suppressions').select('created_at').where('number_hash', '=', this.hash(waId)).where('scope', '=', 'marketing').executeTakeFirst()
    return row?.created_at
  }
}
