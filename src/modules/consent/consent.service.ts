import type { Executor } from '../../db/database.js'
import type { ConsentEventRow, ConversationRow } from '../../db/schema.js'
import { inChunks } from '../../platform/chunks.js'
import { AppError } from '../../platform/errors.js'
import { fromUnixSeconds, nowIso } from '../../platform/time.js'
import type { NewInboundMessage } from '../whatsapp/inbound-projector.js'
import type { ConsentSignal } from '../whatsapp/webhook-events.js'
import { upsertContact } from '../contacts/contacts.repo.js'
import type { MessageVault } from '../inbox/message-vault.js'
import { insertQueued } from '../outbound/send.service.js'
import { appendConsentEvents, listConsentEvents, listPurposes, type NewConsentEvent, type Suppressions } from './consent.repo.js'
import { type ConsentState, deriveState, refusalFor } from './consent-state.js'
import { basesOf } from './existing-customer.js'
import { type KeywordMatcher, normalizeKeyword } from './keywords.js'

export type Refusal = 'no-consent' | 'withdrawn' | 'objected' | 'suppressed'
export type MarketingBasis = 'consent' | 'existing-customer'

const TEXTS = {
  stopped: 'Erledigt: Sie erhalten von uns keine Werbenachrichten mehr. / Done: you will not receive marketing messages from us anymore.',
  started: (label: string) => `Danke! Sie erhalten ab jetzt „${label}“ per WhatsApp. Abmelden jederzeit mit STOP. / Thank you! Reply STOP at any time to unsubscribe.`,
}

/** The refusal for one contact's events of a purpose (in time order) and their number's suppression, if any. */
function judge(events: ConsentEventRow[], suppressedAt: string | undefined): Refusal | undefined {
  const refused = refusalFor(deriveState(events.map((e) => ({ kind: e.kind, occurredAt: e.occurred_at, expiresAt: e.expires_at })), nowIso()))
  // No consent on record, but the number objected before (for example under an erased contact): say so.
  if (refused) return refused === 'no-consent' && suppressedAt ? 'suppressed' : refused
  // Confirmed, but the number objected after that confirmation.
  const confirmedAt = events.filter((e) => e.kind === 'confirmed').at(-1)?.occurred_at ?? ''
  return suppressedAt && suppressedAt > confirmedAt ? 'suppressed' : undefined
}

/** The text a customer's message carries where a keyword can be: text, template button, reply button. */
function keywordText(m: NewInboundMessage): string | undefined {
  const r = m.raw as { text?: { body?: string }; button?: { text?: string }; interactive?: { button_reply?: { title?: string } } }
  return r.text?.body ?? r.button?.text ?? r.interactive?.button_reply?.title
}

/**
 * Consent: the ledger's current state per purpose, the send-time check for marketing, and the
 * keywords in customers' messages (STOP withdraws and objects to every marketing purpose, START
 * confirms one from the customer's own number).
 */
export class ConsentService {
  private keywordsCheckedAt = 0
  private keywordsVersion: string | undefined

  constructor(
    readonly suppressions: Suppressions,
    readonly keywords: KeywordMatcher,
    private readonly vault: MessageVault,
  ) {}

  /**
   * Keywords an admin changed on another instance (several servers on one PostgreSQL) apply here
   * within a second: the stored version is looked at, at most once a second, before matching.
   */
  private async refreshKeywords(db: Executor): Promise<void> {
    if (Date.now() - this.keywordsCheckedAt < 1000) return
    this.keywordsCheckedAt = Date.now()
    const row = await db.selectFrom('settings').select(['value', 'updated_at']).where('key', '=', 'consent.keywords').executeTakeFirst()
    if (!row || row.updated_at === this.keywordsVersion) return
    this.keywordsVersion = row.updated_at
    this.keywords.configure(JSON.parse(row.value) as { stop: string[]; start: string[]; confirm: string[] })
  }

  async overview(db: Executor, contactId: string, now = nowIso()) {
    const [purposes, events] = await Promise.all([listPurposes(db), listConsentEvents(db, contactId)])
    return purposes.map((p) => {
      const mine = events.filter((e) => e.purpose === p.key)
      const facts = mine.map((e) => ({ kind: e.kind, occurredAt: e.occurred_at, expiresAt: e.expires_at }))
      return { purpose: p, state: deriveState(facts, now) as ConsentState, events: mine }
    })
  }

  /** Why a marketing send for this purpose to this contact must not happen; undefined if it may. */
  async refusal(db: Executor, c: { contactId: string | undefined; waId: string | null; purpose: string }): Promise<Refusal | undefined> {
    const events = c.contactId ? (await listConsentEvents(db, c.contactId)).filter((e) => e.purpose === c.purpose) : []
    return judge(events, c.waId ? await this.suppressions.since(db, c.waId) : undefined)
  }

  /** `refusal` for many contacts at once (a campaign's audience): a few queries per thousand, not per contact. */
  async refusals(db: Executor, contacts: { id: string; waId: string | null }[], purpose: string): Promise<Map<string, Refusal | undefined>> {
    const events = new Map<string, ConsentEventRow[]>()
    await inChunks(contacts.map((c) => c.id), async (ids) => {
      const rows = await db.selectFrom('consent_events').selectAll().where('purpose', '=', purpose).where('contact_id', 'in', ids).orderBy('occurred_at').orderBy('recorded_at').execute()
      for (const r of rows) {
        const list = events.get(r.contact_id)
        if (list) list.push(r)
        else events.set(r.contact_id, [r])
      }
    })
    const hashOf = new Map(contacts.flatMap((c) => (c.waId ? [[c.id, this.suppressions.hash(c.waId)] as const] : [])))
    const suppressed = new Map<string, string>()
    await inChunks([...new Set(hashOf.values())], async (hashes) => {
      for (const r of await db.selectFrom('suppressions').select(['number_hash', 'created_at']).where('scope', '=', 'marketing').where('number_hash', 'in', hashes).execute()) suppressed.set(r.number_hash, r.created_at)
    })
    return new Map(contacts.map((c) => [c.id, judge(events.get(c.id) ?? [], suppressed.get(hashOf.get(c.id) ?? ''))]))
  }

  /**
   * What a marketing send to this contact rests on: confirmed consent, or — without any consent,
   * withdrawal, objection or suppression — an active existing-customer basis (§ 7(3) UWG), which
   * obliges the message to carry the objection notice. Otherwise why it is refused.
   */
  async marketingBasis(db: Executor, c: { contactId: string | undefined; waId: string | null; purpose: string }): Promise<{ basis: MarketingBasis } | { refused: Refusal }> {
    const refused = await this.refusal(db, c)
    if (!refused) return { basis: 'consent' }
    if (refused === 'no-consent' && c.contactId && (await basesOf(db, c.contactId, undefined)).some((b) => b.purpose === c.purpose && b.active)) return { basis: 'existing-customer' }
    return { refused }
  }

  /** The basis of a marketing send, or the refusal as an error (409 with the reason's type). */
  async assertMayMarket(db: Executor, c: { contactId: string | undefined; waId: string | null; purpose: string }): Promise<MarketingBasis> {
    const r = await this.marketingBasis(db, c)
    if ('refused' in r) throw refusalError(r.refused, c.purpose)
    return r.basis
  }

  /** True when the person objected to every purpose, or the number is on the suppression list. */
  async optedOutOfEverything(db: Executor, contactId: string, waId: string | null): Promise<boolean> {
    if (waId && (await this.suppressions.since(db, waId))) return true
    const overview = await this.overview(db, contactId)
    return overview.length > 0 && overview.every((o) => o.state === 'objected')
  }

  /** A whole message that is a consent keyword (STOP, START …) or a double opt-in confirmation. */
  isKeyword(text: string): boolean {
    return this.keywords.match(text) !== undefined || this.keywords.isConfirmation(text)
  }

  /** Keywords in new customer messages, in the ingest transaction: committed with the message itself. */
  readonly afterProjection = async (tx: Executor, added: NewInboundMessage[], signals: ConsentSignal[] = []): Promise<void> => {
    if (signals.length > 0) await this.applyMetaSignals(tx, signals)
    if (added.length > 0) await this.refreshKeywords(tx)
    const matches = added.flatMap((m) => {
      const text = keywordText(m)
      const match = text ? (this.keywords.match(text) ?? (this.keywords.isConfirmation(text) ? { action: 'confirm' as const } : undefined)) : undefined
      return match && text ? [{ m, text, match }] : []
    })
    if (matches.length === 0) return
    const purposes = await listPurposes(tx)
    for (const { m, text, match } of matches) {
      if (match.action === 'confirm') {
        await this.confirmPending(tx, m, text, purposes)
        continue
      }
      const base = { contactId: m.contactId, channel: 'whatsapp' as const, text, source: { keyword: text }, evidence: { wamid: m.wamid, journalSeq: m.journalSeq }, evidenceRef: m.wamid, occurredAt: m.timestamp }
      const conversation = await tx.selectFrom('conversations').select(['id', 'contact_id', 'channel_id']).where('id', '=', m.conversationId).executeTakeFirstOrThrow()
      if (match.action === 'stop') {
        // STOP is both a withdrawal and an objection to direct marketing (Art. 21): every purpose, at once.
        await appendConsentEvents(tx, purposes.map((p): NewConsentEvent => ({ ...base, purpose: p.key, kind: 'objected' })))
        if (m.waId) await this.suppressions.add(tx, m.waId, 'objected by keyword', m.timestamp)
        await this.answerKeyword(tx, conversation, TEXTS.stopped, m.timestamp)
        continue
      }
      const topic = match.topic ? normalizeKeyword(match.topic) : null
      const purpose = topic ? purposes.find((p) => [p.key, p.label_de, p.label_en].some((l) => normalizeKeyword(l).includes(topic))) : purposes.find((p) => p.key === 'marketing')
      if (!purpose) continue // an unknown topic is an ordinary message, not a consent
      await appendConsentEvents(tx, [{ ...base, purpose: purpose.key, kind: 'confirmed' }])
      await this.answerKeyword(tx, conversation, TEXTS.started(purpose.label_de), m.timestamp)
    }
  }

  /**
   * The automatic confirmation of a keyword. It answers the keyword: a customer whose first
   * unanswered message was the keyword waits for nobody (an earlier question still waits).
   */
  private async answerKeyword(tx: Executor, conversation: Pick<ConversationRow, 'id' | 'contact_id' | 'channel_id'>, body: string, keywordAt: string): Promise<void> {
    await insertQueued(tx, this.vault, conversation, { type: 'text', content: { type: 'text', text: { body } }, sentBy: null })
    await tx.updateTable('conversations').set({ awaiting_reply_since: null }).where('id', '=', conversation.id).where('awaiting_reply_since', '=', keywordAt).execute()
  }

  /**
   * Double opt-in, step 3: a confirmation from the same number turns every pending request of
   * this contact into a confirmed consent, with the reply as evidence. Without a pending request
   * "JA" is an ordinary answer and records nothing.
   */
  private async confirmPending(tx: Executor, m: NewInboundMessage, text: string, purposes: { key: string; label_de: string }[]): Promise<void> {
    const overview = await this.overview(tx, m.contactId, m.timestamp)
    const pending = overview.filter((o) => o.state === 'pending')
    if (pending.length === 0) return
    await appendConsentEvents(
      tx,
      pending.map((p) => {
        const request = p.events.filter((e) => e.kind === 'requested').at(-1)
        return {
          contactId: m.contactId,
          purpose: p.purpose.key,
          kind: 'confirmed' as const,
          channel: 'whatsapp' as const,
          text: request?.text ?? null,
          noticeVersion: request?.notice_version ?? null,
          source: { doubleOptIn: request?.id ?? null, reply: text },
          evidence: { wamid: m.wamid, journalSeq: m.journalSeq },
          evidenceRef: m.wamid,
          occurredAt: m.timestamp,
        }
      }),
    )
    const conversation = await tx.selectFrom('conversations').select(['id', 'contact_id', 'channel_id']).where('id', '=', m.conversationId).executeTakeFirstOrThrow()
    const labels = pending.map((p) => purposes.find((x) => x.key === p.purpose.key)?.label_de ?? p.purpose.key).join(', ')
    await this.answerKeyword(tx, conversation, TEXTS.started(labels), m.timestamp)
  }

  /**
   * Meta's marketing opt-out (WA-2): the user pressed "Stop marketing messages" in WhatsApp
   * (`user_preferences` value `stop`), or a marketing send failed with 131050. Both are recorded as
   * an objection to every purpose, with the webhook as evidence. `resume`/`signup` are Meta's
   * signals, not the express consent German law requires: they change nothing here.
   */
  private async applyMetaSignals(tx: Executor, signals: ConsentSignal[]): Promise<void> {
    const purposes = await listPurposes(tx)
    for (const { journalSeq, event } of signals) {
      const stops: { waId: string | undefined; userId: string | undefined; at: string; ref: string }[] = []
      if (event.kind === 'status') {
        stops.push({ waId: event.recipient && /^\d+$/.test(event.recipient) ? event.recipient : undefined, userId: event.recipient && !/^\d+$/.test(event.recipient) ? event.recipient : undefined, at: event.timestamp, ref: `${event.wamid}:131050` })
      } else {
        const preferences = (Array.isArray(event.value.user_preferences) ? event.value.user_preferences : []) as Record<string, unknown>[]
        for (const [i, p] of preferences.entries()) {
          if (p.category !== 'marketing_messages' || p.value !== 'stop') continue
          const at = fromUnixSeconds(String(p.timestamp ?? '')) ?? nowIso()
          // The reference names the entry by its place in the webhook, not by the number (kept plain for years otherwise).
          stops.push({ waId: typeof p.wa_id === 'string' ? p.wa_id : undefined, userId: typeof p.user_id === 'string' ? p.user_id : undefined, at, ref: `prefs:${journalSeq}:${i}` })
        }
      }
      for (const stop of stops) {
        await this.objectAtMeta(tx, { ...stop, signal: event.kind === 'status' ? 'error 131050' : 'user_preferences stop', evidence: { journalSeq } }, purposes)
      }
    }
  }

  /** Records Meta's opt-out signal as an objection to every purpose, and suppresses the number. */
  async objectAtMeta(
    tx: Executor,
    s: { waId: string | undefined; userId: string | undefined; at: string; ref: string; signal: string; evidence: Record<string, unknown> },
    purposes?: { key: string }[],
  ): Promise<void> {
    if (!s.waId && !s.userId) return
    const all = purposes ?? (await listPurposes(tx))
    const contact = await upsertContact(tx, this.vault.details, { waId: s.waId, userId: s.userId }, s.at)
    await appendConsentEvents(tx, all.map((p) => ({ contactId: contact.id, purpose: p.key, kind: 'objected' as const, channel: 'meta' as const, source: { signal: s.signal }, evidence: s.evidence, evidenceRef: s.ref, occurredAt: s.at })))
    const waId = s.waId ?? contact.wa_id
    if (waId) await this.suppressions.add(tx, waId, 'marketing opt-out at Meta', s.at)
  }
}

export function refusalError(refused: Refusal, purpose: string): AppError {
  const detail = {
    'no-consent': `There is no confirmed consent for "${purpose}".`,
    withdrawn: `The consent for "${purpose}" was withdrawn.`,
    objected: `The customer objected to "${purpose}" messages.`,
    suppressed: 'The number is on the suppression list (it objected to marketing).',
  }[refused]
  return new AppError(`consent.${refused.replace('-', '_')}`, 409, detail, { details: { purpose, reason: refused } })
}
