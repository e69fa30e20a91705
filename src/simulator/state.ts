import { randomBytes } from 'node:crypto'
import { MAGIC_RECIPIENTS, SimGraphError } from './graph-error.js'
import { type Customer, inboundMessage, newWamid, type SimIdentity, simulatedUserId, statusEvent } from './payloads.js'
import type { WebhookSender } from './webhook-sender.js'

export type SimulatorBehaviour = {
  /** Delay between the status steps sent → delivered → read. */
  statusStepMs: number
  /** Messages per second per number before 130429 (Meta's default: 80). */
  throughputPerSecond: number
  /** Pair rate: burst size and refill interval per recipient before 131056. */
  pairBurst: number
  pairIntervalMs: number
  /** Send status webhooks for accepted messages (benchmarks of the sender switch them off). */
  emitStatuses: boolean
  /** Share of accepted messages that fail later with 131000, as some do at Meta. 0..1 */
  failureRate: number
}

type Template = { name: string; language: string; status: string; category: string; id: string; components: unknown[] }
type SentRecord = { at: number; wamid: string; recipient: string; byUserId: boolean; type: string; bizOpaque: string | undefined; body: Record<string, unknown> }

const WINDOW_MS = 24 * 3600 * 1000

/**
 * What the simulated customers' phones and Meta keep across a restart of `npm start`: the chats,
 * the 24-hour windows, read marks, templates, profile and number. Not kept: media bytes (Postfach
 * has its own copy of every medium), rate windows and uploads in progress.
 */
export type SimulatorMemory = {
  version: 1
  customers: (Customer & { lastInboundAt?: number })[]
  sent: SentRecord[]
  received: SimulatorState['received']
  readMarks: SimulatorState['readMarks']
  templates: Template[]
  profile: SimulatorState['profile']
  number: SimulatorState['number']
}

/** The simulated Cloud API's memory: customers, sent messages, media, templates, rate windows. */
export class SimulatorState {
  readonly customers = new Map<string, Customer & { lastInboundAt?: number }>()
  readonly sent: SentRecord[] = []
  /** What simulated customers wrote, for the customer phone page. */
  readonly received: { waId: string; wamid: string; type: string; content: Record<string, unknown>; at: number }[] = []
  private readonly wamids = new Set<string>()
  readonly media = new Map<string, { bytes: Buffer; mimeType: string }>()
  private sendTimes: number[] = []
  private readonly pairs = new Map<string, { tokens: number; at: number }>()
  readonly templates: Template[] = [
    { id: '1689556908129832', name: 'hello_world', language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hello World' }] },
    { id: '1689556908129833', name: 'order_shipped', language: 'de', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Ihre Bestellung {{1}} ist unterwegs.' }] },
    // Advertising says how to object, with every message (§ 7 UWG, Art. 21(4) GDPR).
    { id: '1689556908129834', name: 'welcome_back', language: 'de', status: 'APPROVED', category: 'MARKETING', components: [{ type: 'BODY', text: 'Schön, dass Sie wieder da sind, {{1}}!' }, { type: 'FOOTER', text: 'Keine Werbung mehr? Antworten Sie STOP.' }] },
    // Advertising to existing customers without consent (§ 7(3) UWG): every message says they may object, at no cost beyond the basic rates.
    { id: '1689556908129838', name: 'zubehoer_bestandskunden', language: 'de', status: 'APPROVED', category: 'MARKETING', components: [{ type: 'BODY', text: 'Passend zu Ihrem Kauf: das Zubehör ist wieder da.' }, { type: 'FOOTER', text: 'Sie können dieser Werbung jederzeit widersprechen (Antwort STOP); es entstehen nur Übermittlungskosten nach den Basistarifen.' }] },
    // …and one that does not, which Postfach refuses to send.
    { id: '1689556908129837', name: 'flash_sale', language: 'de', status: 'APPROVED', category: 'MARKETING', components: [{ type: 'BODY', text: 'Nur heute: {{1}} % Rabatt!' }] },
    // Neutral (no advertising): the double opt-in confirmation request.
    { id: '1689556908129836', name: 'optin_confirmation', language: 'de', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Bitte bestätigen Sie, dass Sie „{{1}}“ von {{2}} per WhatsApp erhalten möchten: Antworten Sie mit JA. Ohne Bestätigung erhalten Sie keine Nachrichten.' }, { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'JA' }] }] },
    { id: '1689556908129835', name: 'paused_offer', language: 'de', status: 'PAUSED', category: 'MARKETING', components: [{ type: 'BODY', text: 'Angebot' }, { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Stopp' }] }] },
  ]
  profile = { about: 'Postfach Demo GmbH', address: 'Musterstraße 1, 10115 Berlin', description: 'Beispielunternehmen des eingebauten WhatsApp-Simulators', email: 'kontakt@example.com', websites: ['https://example.com'], vertical: 'RETAIL' }

  constructor(
    readonly identity: SimIdentity,
    public accessToken: string,
    readonly sender: WebhookSender,
    readonly behaviour: SimulatorBehaviour,
    readonly publicBase: () => string,
  ) {}

  knowsWamid = (wamid: string): boolean => this.wamids.has(wamid)

  memory(): SimulatorMemory {
    return { version: 1, customers: [...this.customers.values()], sent: this.sent, received: this.received, readMarks: this.readMarks, templates: this.templates, profile: this.profile, number: this.number }
  }

  /** Takes up what an earlier run kept (before anything else happened in this one). */
  restore(m: SimulatorMemory): void {
    for (const c of m.customers) this.customers.set(c.waId, c)
    // One at a time: a long demo's arrays are too long to spread into push().
    for (const x of m.sent) this.sent.push(x)
    for (const x of m.received) this.received.push(x)
    for (const x of m.readMarks) this.readMarks.push(x)
    for (const x of [...m.sent, ...m.received]) this.wamids.add(x.wamid)
    // A template still in review when the simulator stopped would have been approved moments later.
    this.templates.splice(0, this.templates.length, ...m.templates.map((t) => (t.status === 'PENDING' ? { ...t, status: 'APPROVED' } : t)))
    this.profile = m.profile
    Object.assign(this.number, m.number)
  }

  /** Changes whenever the memory does (cheaper to compare than the memory itself). */
  memoryRevision(): string {
    return [this.customers.size, this.sent.length, this.received.length, this.readMarks.length, this.templates.map((t) => `${t.name}/${t.language}/${t.status}`).join(), JSON.stringify(this.profile), JSON.stringify(this.number)].join('|')
  }

  /** Read receipts the business sent (status "read"), with whether they asked for a typing indicator. */
  readonly readMarks: { wamid: string; typing: boolean; at: number }[] = []

  /** Marks a customer's message (and the ones before it) read; with `typing`, the customer sees the business typing. */
  markRead(wamid: string, typing: boolean): void {
    this.readMarks.push({ wamid, typing, at: Date.now() })
  }

  /** The customer's messages the business has read: every one up to the newest marked. */
  readUpTo(waId: string): number {
    const marked = new Set(this.readMarks.map((r) => r.wamid))
    const mine = this.received.filter((m) => m.waId === waId && marked.has(m.wamid))
    return mine.length ? Math.max(...mine.map((m) => m.at)) : 0
  }

  /** Cloud API: the indicator shows until the business's next message, for at most 25 seconds. */
  isTyping(waId: string, now = Date.now()): boolean {
    const mine = new Set(this.received.filter((m) => m.waId === waId).map((m) => m.wamid))
    const last = this.readMarks.filter((r) => r.typing && mine.has(r.wamid)).at(-1)
    if (!last || now - last.at > 25_000) return false
    return !this.sent.some((m) => m.recipient === waId && m.at >= last.at)
  }

  /** What Meta says about the number; tests change it (a quality drop, a rejected name). */
  readonly number = { verified_name: 'Postfach Demo', quality_rating: 'GREEN', name_status: 'APPROVED', messaging_limit: 'TIER_2K', throughput: 'STANDARD' }

  phoneNumberInfo() {
    return {
      id: this.identity.phoneNumberId,
      display_phone_number: '+' + this.identity.displayPhoneNumber,
      verified_name: this.number.verified_name,
      code_verification_status: 'VERIFIED',
      quality_rating: this.number.quality_rating,
      name_status: this.number.name_status,
      platform_type: 'CLOUD_API',
      throughput: { level: this.number.throughput },
      whatsapp_business_manager_messaging_limit: this.number.messaging_limit,
      messaging_product: 'whatsapp',
    }
  }

  storeMedia(bytes: Buffer, mimeType: string): string {
    const id = String(BigInt('0x' + randomBytes(7).toString('hex')))
    this.media.set(id, { bytes, mimeType })
    return id
  }

  /** A customer writes to the business: updates the 24 h window and delivers the webhook. */
  customerSends(waId: string, name: string, type: string, content: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
    const customer = this.customer(waId, name)
    customer.lastInboundAt = Date.now()
    const { wamid, payload } = inboundMessage(this.identity, customer, type, content, extra)
    this.wamids.add(wamid)
    this.received.push({ waId, wamid, type, content, at: Date.now() })
    this.sender.send(payload)
    return wamid
  }

  /** POST /{waba}/message_templates: PENDING first, APPROVED (with its webhook) a moment later. */
  createTemplate(body: Record<string, unknown>) {
    const name = body.name
    const language = body.language
    const category = String(body.category ?? '').toUpperCase()
    if (typeof name !== 'string' || !/^[a-z0-9_]{1,512}$/.test(name)) throw new SimGraphError(400, 100, 'Invalid parameter', 'name must be lowercase letters, digits and underscores')
    if (typeof language !== 'string' || language.length < 2) throw new SimGraphError(400, 100, 'Invalid parameter', 'language is required')
    if (!['MARKETING', 'UTILITY', 'AUTHENTICATION'].includes(category)) throw new SimGraphError(400, 100, 'Invalid parameter', 'category must be MARKETING, UTILITY or AUTHENTICATION')
    if (this.templates.some((t) => t.name === name && t.language === language)) throw new SimGraphError(400, 100, 'Invalid parameter', 'Content in this language already exists')
    const t: Template = { id: String(BigInt('0x' + randomBytes(7).toString('hex'))), name, language, status: 'PENDING', category, components: Array.isArray(body.components) ? body.components : [] }
    this.templates.push(t)
    setTimeout(() => {
      t.status = 'APPROVED'
      this.sender.send({
        object: 'whatsapp_business_account',
        entry: [{ id: this.identity.wabaId, time: Math.floor(Date.now() / 1000), changes: [{ field: 'message_template_status_update', value: { event: 'APPROVED', message_template_id: Number(t.id), message_template_name: t.name, message_template_language: t.language, reason: 'NONE', message_template_category: t.category } }] }],
      })
    }, this.behaviour.statusStepMs * 3)
    return { id: t.id, status: 'PENDING', category }
  }

  deleteTemplate(name: string): boolean {
    const before = this.templates.length
    for (let i = this.templates.length - 1; i >= 0; i--) if (this.templates[i]!.name === name) this.templates.splice(i, 1)
    return this.templates.length < before
  }

  private readonly uploads = new Map<string, { length: number; type: string; bytes?: Buffer }>()
  /** The business profile picture, as uploaded (Meta would serve a resized copy from its CDN). */
  profilePicture: { bytes: Buffer; type: string } | undefined

  startUpload(u: { length: number; type: string }): string {
    const id = `upload:${randomBytes(12).toString('base64url')}`
    this.uploads.set(id, u)
    return id
  }

  finishUpload(id: string, bytes: Buffer): string {
    const u = this.uploads.get(id)
    if (!u) throw new SimGraphError(400, 100, `Unsupported post request. Object with ID '${id}' does not exist`)
    if (!Buffer.isBuffer(bytes) || bytes.length !== u.length) throw new SimGraphError(400, 100, 'Invalid parameter', `expected ${u.length} bytes`)
    u.bytes = bytes
    return `4:${Buffer.from(id).toString('base64url')}`
  }

  /** POST /{phone}/whatsapp_business_profile with Meta's field limits. */
  updateProfile(body: Record<string, unknown>) {
    const limits: Record<string, number> = { about: 139, address: 256, description: 512, email: 128 }
    for (const [k, max] of Object.entries(limits)) {
      const v = body[k]
      if (v !== undefined && (typeof v !== 'string' || v.length > max || (k === 'about' && v.length < 1))) throw new SimGraphError(400, 100, 'Invalid parameter', `${k} must be at most ${max} characters`)
    }
    const websites = body.websites
    if (websites !== undefined && (!Array.isArray(websites) || websites.length > 2 || websites.some((w) => typeof w !== 'string' || !/^https?:\/\//.test(w) || w.length > 256))) {
      throw new SimGraphError(400, 100, 'Invalid parameter', 'websites: at most 2 http(s) URLs of at most 256 characters')
    }
    const { messaging_product: _mp, profile_picture_handle: handle, ...fields } = body
    if (handle !== undefined) {
      const upload = typeof handle === 'string' && handle.startsWith('4:') ? this.uploads.get(Buffer.from(handle.slice(2), 'base64url').toString()) : undefined
      if (!upload?.bytes || !upload.type.startsWith('image/')) throw new SimGraphError(400, 100, 'Invalid parameter', 'profile_picture_handle is not an uploaded image')
      this.profilePicture = { bytes: upload.bytes, type: upload.type }
    }
    this.profile = { ...this.profile, ...(fields as Partial<SimulatorState['profile']>) }
  }

  /** Meta's check of a callback URL before it delivers: GET with a challenge to echo. */
  async verifyCallback(url: string, verifyToken: string): Promise<boolean> {
    const challenge = String(randomBytes(4).readUInt32BE())
    const q = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': verifyToken, 'hub.challenge': challenge })
    try {
      const res = await fetch(`${url}?${q}`, { signal: AbortSignal.timeout(5000) })
      return res.ok && (await res.text()) === challenge
    } catch {
      return false
    }
  }

  /** The phone number a sent message reached: a send by BSUID (`recipient`) reaches the customer with that user id. */
  numberOf(sent: SentRecord): string | undefined {
    if (!sent.byUserId) return sent.recipient
    for (const c of this.customers.values()) if (c.userId === sent.recipient) return c.waId
    return undefined
  }

  customer(waId: string, name?: string) {
    let c = this.customers.get(waId)
    if (!c) {
      c = { waId, userId: simulatedUserId(waId), name: name ?? `Kunde ${waId.slice(-4)}` }
      this.customers.set(waId, c)
    } else if (name) c.name = name
    return c
  }

  /** Validates and accepts one send, as POST /{phone_number_id}/messages does. */
  acceptSend(body: Record<string, unknown>) {
    const to = typeof body.to === 'string' ? body.to.replace(/^\+/, '') : undefined
    const recipient = to ?? (typeof body.recipient === 'string' ? body.recipient : undefined)
    if (!recipient) throw new SimGraphError(400, 131008, 'Required parameter is missing', 'to is required')
    const type = String(body.type ?? 'text')
    const content = body[type] as Record<string, unknown> | undefined
    if (!content) throw new SimGraphError(400, 131008, 'Required parameter is missing', `${type} object is required`)
    if (type === 'text' && (typeof content.body !== 'string' || content.body.length > 4096)) {
      throw new SimGraphError(400, 100, 'Invalid parameter', 'text.body must be 1 to 4096 characters')
    }
    const template = type === 'template' ? this.checkTemplate(content) : undefined
    this.checkThroughput()
    this.checkPairRate(recipient)
    if (recipient === MAGIC_RECIPIENTS.syncServerError) throw new SimGraphError(500, 131000, 'Something went wrong')
    const wamid = newWamid()
    const byUserId = !to
    const bizOpaque = typeof body.biz_opaque_callback_data === 'string' ? body.biz_opaque_callback_data : undefined
    this.wamids.add(wamid)
    this.sent.push({ at: Date.now(), wamid, recipient, byUserId, type, bizOpaque, body })
    this.scheduleStatuses({ wamid, recipient, byUserId, bizOpaque }, type, template?.category)
    return {
      messaging_product: 'whatsapp',
      contacts: [{ input: String(body.to ?? body.recipient), ...(byUserId ? { user_id: recipient } : { wa_id: recipient }) }],
      messages: [{ id: wamid, ...(template ? { message_status: 'accepted' } : {}) }],
    }
  }

  private checkTemplate(content: Record<string, unknown>): Template {
    const lang = (content.language as { code?: string } | undefined)?.code
    const t = this.templates.find((x) => x.name === content.name && x.language === lang)
    if (!t) throw new SimGraphError(404, 132001, 'Template name does not exist in the translation', `template name (${String(content.name)}) does not exist in ${lang}`)
    if (t.status === 'PAUSED') throw new SimGraphError(400, 132015, 'Template is paused')
    if (t.status === 'DISABLED') throw new SimGraphError(400, 132016, 'Template is disabled')
    return t
  }

  private checkThroughput() {
    const now = Date.now()
    while (this.sendTimes.length > 0 && this.sendTimes[0]! <= now - 1000) this.sendTimes.shift()
    if (this.sendTimes.length >= this.behaviour.throughputPerSecond) {
      this.refusals.set(130429, (this.refusals.get(130429) ?? 0) + 1)
      throw new SimGraphError(400, 130429, 'Rate limit hit', 'Cloud API message throughput has been reached.')
    }
    this.sendTimes.push(now)
  }

  private checkPairRate(recipient: string) {
    const now = Date.now()
    const { pairBurst, pairIntervalMs } = this.behaviour
    const b = this.pairs.get(recipient) ?? { tokens: pairBurst, at: now }
    b.tokens = Math.min(pairBurst, b.tokens + (now - b.at) / pairIntervalMs)
    b.at = now
    this.pairs.set(recipient, b)
    if (b.tokens < 1) this.refusals.set(131056, (this.refusals.get(131056) ?? 0) + 1)
    if (b.tokens < 1) throw new SimGraphError(400, 131056, '(Business Account, Consumer Account) pair rate limit hit')
    b.tokens -= 1
  }

  /** Sync refusals by error code (130429 throughput, 131056 pair rate …), for tests and benchmarks. */
  readonly refusals = new Map<number, number>()

  private scheduleStatuses(s: { wamid: string; recipient: string; byUserId: boolean; bizOpaque: string | undefined }, type: string, category?: string) {
    if (!this.behaviour.emitStatuses) return
    const step = this.behaviour.statusStepMs
    const emit = (status: string, n: number, errors?: unknown[]) =>
      this.sender.send(statusEvent(this.identity, { ...s, status, ...(errors ? { errors } : {}), category: category?.toLowerCase() ?? 'service' }), step * n)
    const customer = this.customers.get(s.recipient)
    const windowClosed = type !== 'template' && customer?.lastInboundAt !== undefined && Date.now() - customer.lastInboundAt > WINDOW_MS
    if (s.recipient === MAGIC_RECIPIENTS.notOnWhatsApp) return emit('failed', 1, [metaError(131026, 'Message undeliverable', 'Message Undeliverable.')])
    if (s.recipient === MAGIC_RECIPIENTS.marketingOptOut && category === 'MARKETING') {
      return emit('failed', 1, [metaError(131050, 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.', 'The recipient opted out of marketing messages.')])
    }
    if (windowClosed) {
      return emit('failed', 1, [metaError(131047, 'Re-engagement message', 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.')])
    }
    emit('sent', 1)
    if (Math.random() < this.behaviour.failureRate) return emit('failed', 2, [metaError(131000, 'Something went wrong', 'Message failed to send because of an unknown error.')])
    if (s.recipient === MAGIC_RECIPIENTS.blocked) return
    emit('delivered', 2)
    if (s.recipient !== MAGIC_RECIPIENTS.noReadReceipts) emit('read', 3)
  }
}

const metaError = (code: number, title: string, details: string) => ({
  code,
  title,
  message: title,
  error_data: { details },
  href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
})
