import { fromUnixSeconds } from '../../platform/time.js'

/**
 * Turns a webhook envelope into domain events. Lenient by design: it reads the fields it knows and
 * keeps the raw object of everything, so an unknown type or field is stored, never dropped.
 * Loops over every entry, change and item (Meta batches at all three levels).
 */
export type RawObject = Record<string, unknown>

export type ContactIdentity = { waId: string | undefined; userId: string | undefined; name: string | undefined }

export type InboundMessageEvent = {
  kind: 'message'
  phoneNumberId: string | undefined
  wabaId: string | undefined
  contact: ContactIdentity
  wamid: string
  type: string
  timestamp: string
  raw: RawObject
}

export type StatusEvent = {
  kind: 'status'
  phoneNumberId: string | undefined
  wamid: string
  status: string
  timestamp: string
  /** The customer (wa_id or BSUID) the status is about. */
  recipient: string | undefined
  errors: unknown[] | undefined
  pricing: unknown
  bizOpaqueCallbackData: string | undefined
}

/** Anything else: template/quality/account updates, user preferences, value-level errors. */
export type OtherEvent = { kind: 'other'; field: string; phoneNumberId: string | undefined; value: RawObject; /** The entry's `time`. */ at?: string | undefined }

export type WebhookEvent = InboundMessageEvent | StatusEvent | OtherEvent

/** Meta's marketing opt-out: the `user_preferences` webhook, or a send that failed with 131050. */
export const MARKETING_OPT_OUT = 131050
export const isConsentSignal = (e: WebhookEvent): e is OtherEvent | StatusEvent =>
  (e.kind === 'other' && e.field === 'user_preferences') ||
  (e.kind === 'status' && e.status === 'failed' && (e.errors ?? []).some((x) => (x as { code?: unknown } | null)?.code === MARKETING_OPT_OUT))
export type ConsentSignal = { journalSeq: number; event: OtherEvent | StatusEvent }

/** Types whose content we understand; anything else is presented as `unsupported`. */
export const KNOWN_MESSAGE_TYPES = new Set([
  'text', 'image', 'audio', 'video', 'document', 'sticker', 'location', 'contacts', 'interactive',
  'button', 'reaction', 'order', 'system', 'unsupported', 'request_welcome', 'template',
])
export const MEDIA_TYPES = new Set(['image', 'audio', 'video', 'document', 'sticker'])

const obj = (v: unknown): RawObject | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as RawObject) : undefined)
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined)

export class MalformedWebhookError extends Error {}

/** The customer a webhook is about (its first event's), so one customer's webhooks can be kept together. */
export function customerKeyOf(events: WebhookEvent[]): string {
  for (const e of events) {
    if (e.kind === 'message') return e.contact.userId ?? e.contact.waId ?? ''
    if (e.kind === 'status') return e.recipient ?? ''
  }
  return ''
}

export function parseWebhook(body: unknown): WebhookEvent[] {
  const root = obj(body)
  if (!root || !Array.isArray(root.entry)) throw new MalformedWebhookError('expected an object with an "entry" array')
  const events: WebhookEvent[] = []
  for (const entry of arr(root.entry)) {
    const wabaId = str(obj(entry)?.id)
    const at = fromUnixSeconds(obj(entry)?.time as string | number | undefined)
    for (const change of arr(obj(entry)?.changes)) {
      const c = obj(change)
      const value = obj(c?.value)
      if (!c || !value) continue
      events.push(...parseChange(str(c.field) ?? 'unknown', value, wabaId).map((e) => (e.kind === 'other' ? { ...e, at } : e)))
    }
  }
  return events
}

function parseChange(field: string, value: RawObject, wabaId: string | undefined): WebhookEvent[] {
  const phoneNumberId = str(obj(value.metadata)?.phone_number_id)
  if (field !== 'messages') return [{ kind: 'other', field, phoneNumberId, value }]
  const contacts = arr(value.contacts).map(obj).filter((c): c is RawObject => !!c)
  const out: WebhookEvent[] = []
  for (const m of arr(value.messages).map(obj)) {
    if (!m) continue
    const wamid = str(m.id)
    if (!wamid) continue
    const from = str(m.from)
    const fromUserId = str(m.from_user_id)
    const contact = contacts.find((c) => (from && c.wa_id === from) || (fromUserId && c.user_id === fromUserId)) ?? contacts[0]
    out.push({
      kind: 'message',
      phoneNumberId,
      wabaId,
      wamid,
      type: str(m.type) ?? 'unsupported',
      timestamp: fromUnixSeconds(str(m.timestamp)) ?? new Date().toISOString(),
      contact: {
        waId: from ?? str(contact?.wa_id),
        userId: fromUserId ?? str(contact?.user_id),
        name: str(obj(contact?.profile)?.name),
      },
      raw: m,
    })
  }
  for (const s of arr(value.statuses).map(obj)) {
    const wamid = str(s?.id)
    const status = str(s?.status)
    if (!s || !wamid || !status) continue
    out.push({
      kind: 'status',
      phoneNumberId,
      wamid,
      status,
      timestamp: fromUnixSeconds(str(s.timestamp)) ?? new Date().toISOString(),
      recipient: str(s.recipient_id) ?? str(s.recipient_user_id),
      errors: Array.isArray(s.errors) ? s.errors : undefined,
      pricing: s.pricing,
      bizOpaqueCallbackData: str(s.biz_opaque_callback_data),
    })
  }
  if (out.length === 0 || Array.isArray(value.errors)) out.push({ kind: 'other', field, phoneNumberId, value })
  return out
}
