import type { Executor } from '../../db/database.js'
import { newId } from '../../platform/ids.js'
import { HOUR } from '../../platform/time.js'
import { sendNoticeFirst } from '../consent/privacy-notice.js'
import type { MessageVault } from '../inbox/message-vault.js'
import { insertQueued } from '../outbound/send.service.js'
import type { NewInboundMessage } from '../whatsapp/inbound-projector.js'
import { legalNoticeReply, readBusinessProfile } from '../business-profile/business-profile.js'
import { type AutomationSettings, readAutomation, scheduleOf } from './automation-settings.js'
import { isOpen, nextOpening } from './opening-hours.js'

type Kind = 'greeting' | 'away' | 'legal-notice'

export type AutoReplyDeps = {
  now: () => number
  vault: MessageVault
  /** True for a message that is a consent keyword (STOP, START …, JA): its own answer goes out. */
  isConsentKeyword: (text: string) => boolean
  /** True when the person objected to every purpose or is on the suppression list. */
  optedOutOfEverything: (tx: Executor, m: NewInboundMessage) => Promise<boolean>
}

const WINDOW_MS = 24 * HOUR
const textOf = (m: NewInboundMessage) => (m.raw as { text?: { body?: string } }).text?.body

/** „Montag, 1. Dezember, 09:00 Uhr“ in the schedule's time zone. */
export function formatOpening(instant: number, timezone: string): string {
  const date = new Intl.DateTimeFormat('de-DE', { timeZone: timezone, weekday: 'long', day: 'numeric', month: 'long' }).format(instant)
  const time = new Intl.DateTimeFormat('de-DE', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(instant)
  return `${date}, ${time} Uhr`
}

/** Whether the greeting, the away message and the legal notice would go out now, and when the business opens next. */
export function automationState(a: AutomationSettings, now: number) {
  const schedule = scheduleOf(a)
  const open = isOpen(now, schedule)
  const next = open ? null : nextOpening(now, schedule)
  return { open, nextOpening: next === null ? null : new Date(next).toISOString(), timezone: a.timezone, greeting: a.greeting.enabled, away: a.away.enabled }
}

/**
 * Automatic answers to new customer messages, in the ingest transaction (they commit with the
 * message, so a crash neither loses nor doubles them):
 * - „Impressum“ (whole message) answers with the provider identification (§ 5 DDG);
 * - outside opening hours the away message with the next opening time;
 * - otherwise, to a first message or after a long silence, the greeting.
 * Never more than one automatic answer per message, each kind at most once per conversation
 * within its period, never after the 24-hour window, never to a number that opted out of
 * everything, and never to a consent keyword (it has its own confirmation). The privacy notice
 * precedes the first of them, as it precedes an agent's first reply.
 */
export class AutoReplies {
  private readonly cached = new Map<string, { at: number; settings: AutomationSettings }>()

  constructor(private readonly deps: AutoReplyDeps) {}

  /** New settings on this instance apply at once. */
  invalidate(): void {
    this.cached.clear()
  }

  /** A channel's settings, read at most once a second: ingest should not pay a read per group (changes on any instance apply within a second). */
  private async settings(tx: Executor, channelId: string): Promise<AutomationSettings> {
    let entry = this.cached.get(channelId)
    if (!entry || Date.now() - entry.at >= 1000) {
      entry = { at: Date.now(), settings: await readAutomation(tx, channelId) }
      this.cached.set(channelId, entry)
    }
    return entry.settings
  }

  readonly afterProjection = async (tx: Executor, added: NewInboundMessage[]): Promise<void> => {
    const now = this.deps.now()
    const fresh = added.filter((m) => now - Date.parse(m.timestamp) < WINDOW_MS)
    if (fresh.length === 0) return
    for (const m of fresh) {
      const text = textOf(m)
      if (text && this.deps.isConsentKeyword(text)) continue
      if (text && /^\s*impressum[\s.!?]*$/i.test(text)) {
        const reply = legalNoticeReply(await readBusinessProfile(tx))
        if (reply) await this.send(tx, m, 'legal-notice', reply, { notice: false })
        continue
      }
      const settings = await this.settings(tx, m.channelId)
      if (!settings.greeting.enabled && !settings.away.enabled) continue
      const closed = !isOpen(now, scheduleOf(settings))
      const kind: Kind | undefined = closed && settings.away.enabled ? 'away' : settings.greeting.enabled && (await this.isFirstAfterSilence(tx, m, settings)) ? 'greeting' : undefined
      if (!kind) continue
      const period = (kind === 'away' ? settings.away.repeatAfterHours : settings.greeting.repeatAfterHours) * HOUR
      if (await this.sentWithin(tx, m.conversationId, kind, new Date(now - period).toISOString())) continue
      if (await this.deps.optedOutOfEverything(tx, m)) continue
      const next = kind === 'away' ? nextOpening(now, scheduleOf(settings)) : null
      const body = kind === 'away' ? settings.away.text.replaceAll(/\{\{\s*nextOpening\s*\}\}/g, next === null ? '—' : formatOpening(next, settings.timezone)) : settings.greeting.text
      await this.send(tx, m, kind, body, { notice: true })
    }
  }

  /** No earlier customer message in the conversation, or the last one longer ago than the silence. */
  private async isFirstAfterSilence(tx: Executor, m: NewInboundMessage, s: AutomationSettings): Promise<boolean> {
    const previous = await tx
      .selectFrom('messages')
      .select('timestamp')
      .where('conversation_id', '=', m.conversationId)
      .where('direction', '=', 'inbound')
      .where('id', '!=', m.messageId)
      .where('timestamp', '<=', m.timestamp)
      .orderBy('timestamp', 'desc')
      .limit(1)
      .executeTakeFirst()
    return !previous || Date.parse(m.timestamp) - Date.parse(previous.timestamp) > s.greeting.afterSilenceDays * 24 * HOUR
  }

  private async sentWithin(tx: Executor, conversationId: string, kind: Kind, since: string): Promise<boolean> {
    const row = await tx.selectFrom('automation_sends').select('id').where('conversation_id', '=', conversationId).where('kind', '=', kind).where('created_at', '>', since).limit(1).executeTakeFirst()
    return row !== undefined
  }

  private async send(tx: Executor, m: NewInboundMessage, kind: Kind, body: string, o: { notice: boolean }): Promise<void> {
    const conversation = await tx.selectFrom('conversations').selectAll().where('id', '=', m.conversationId).executeTakeFirstOrThrow()
    if (o.notice) await sendNoticeFirst(tx, this.deps.vault, conversation)
    const message = await insertQueued(tx, this.deps.vault, conversation, { type: 'text', content: { type: 'text', text: { body } }, sentBy: null })
    await tx.insertInto('automation_sends').values({ id: newId(), conversation_id: conversation.id, kind, message_id: message.id, created_at: new Date(this.deps.now()).toISOString() }).execute()
  }
}
