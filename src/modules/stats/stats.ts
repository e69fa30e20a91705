import type { Executor } from '../../db/database.js'
import { isOpen, localTime, type Schedule } from '../automation/opening-hours.js'
import { quantile, responseTimes } from './first-response.js'

export type StatsFilter = { from: string; to: string; channelId?: string | undefined; labelId?: string | undefined; agentId?: string | undefined }
export type Bucket = 'day' | 'week' | 'month'

const DAY = 86_400_000
/** Turns are matched to their answer up to this long before and after the period. */
const TURN_REACH = 7 * DAY

const DELIVERED = new Set(['delivered', 'read'])
const SENT = new Set(['sent', 'delivered', 'read'])

type Counts = { received: number; sent: number; delivered: number; read: number; failed: number }
const zero = (): Counts => ({ received: 0, sent: 0, delivered: 0, read: 0, failed: 0 })

/**
 * Adds one message to the counts. Outbound messages count by the furthest status WhatsApp
 * reported (statuses only move forward): a read message was also sent and delivered. Messages
 * still queued or in flight count nowhere yet.
 */
function count(c: Counts, m: { direction: string; status: string }) {
  if (m.direction === 'inbound') return void c.received++
  if (SENT.has(m.status)) c.sent++
  if (DELIVERED.has(m.status)) c.delivered++
  if (m.status === 'read') c.read++
  if (m.status === 'failed') c.failed++
}

/** Messages of the period (by their time), narrowed to a channel, a label or an agent's conversations. */
function messagesIn(db: Executor, f: StatsFilter, from: string, to: string) {
  let q = db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .select(['messages.conversation_id as conversationId', 'messages.timestamp', 'messages.direction', 'messages.status', 'messages.sent_by as sentBy'])
    .where('messages.timestamp', '>=', from)
    .where('messages.timestamp', '<', to)
    .where('messages.type', '!=', 'reaction')
  if (f.channelId) q = q.where('conversations.channel_id', '=', f.channelId)
  if (f.agentId) q = q.where('conversations.assignee_id', '=', f.agentId)
  if (f.labelId) q = q.where('messages.conversation_id', 'in', db.selectFrom('conversation_labels').select('conversation_id').where('label_id', '=', f.labelId))
  return q
}

function timing(values: number[]) {
  return { count: values.length, medianSeconds: quantile(values, 0.5), p90Seconds: quantile(values, 0.9) }
}

/** The dashboard's figures for a period; every number is derived from the stored messages and consent events. */
export async function summary(db: Executor, f: StatsFilter, schedule: Schedule) {
  const counts = zero()
  for (const m of await messagesIn(db, f, f.from, f.to).execute()) count(counts, m)

  const around = await messagesIn(db, f, new Date(Date.parse(f.from) - TURN_REACH).toISOString(), new Date(Date.parse(f.to) + TURN_REACH).toISOString())
    .orderBy('messages.conversation_id')
    .orderBy('messages.timestamp')
    .execute()
  const from = Date.parse(f.from)
  const to = Date.parse(f.to)
  const turns = responseTimes(around.map((m) => ({ conversationId: m.conversationId, at: Date.parse(m.timestamp), inbound: m.direction === 'inbound', answeredBy: m.sentBy }))).filter(
    (t) => t.askedAt >= from && t.askedAt < to && (!f.agentId || t.answeredBy === f.agentId),
  )
  const within = turns.filter((t) => isOpen(t.askedAt, schedule))
  const outside = turns.filter((t) => !isOpen(t.askedAt, schedule))
  const firstResponse = { ...timing(turns.map((t) => t.seconds)), withinHours: timing(within.map((t) => t.seconds)), outsideHours: timing(outside.map((t) => t.seconds)) }

  let started = db.selectFrom('conversations').select((eb) => eb.fn.countAll<number>().as('n')).where('created_at', '>=', f.from).where('created_at', '<', f.to)
  if (f.channelId) started = started.where('channel_id', '=', f.channelId)
  const consent = await db
    .selectFrom('consent_events')
    .select(['kind', 'contact_id', 'occurred_at'])
    .where('occurred_at', '>=', f.from)
    .where('occurred_at', '<', f.to)
    .where('kind', 'in', ['confirmed', 'withdrawn', 'objected'])
    .execute()
  // One STOP objects to every purpose at once: it is one opt-out, not one per purpose.
  const optOuts = new Set(consent.filter((e) => e.kind !== 'confirmed').map((e) => `${e.contact_id}@${e.occurred_at}`)).size

  return {
    from: f.from,
    to: f.to,
    ...counts,
    firstResponseMedianSeconds: firstResponse.medianSeconds,
    firstResponseP90Seconds: firstResponse.p90Seconds,
    firstResponse,
    conversationsStarted: Number((await started.executeTakeFirstOrThrow()).n),
    optIns: consent.filter((e) => e.kind === 'confirmed').length,
    optOuts,
  }
}

/** Monday of the ISO week, or the first of the month, of a local date. */
function bucketOf(date: string, bucket: Bucket): string {
  if (bucket === 'day') return date
  if (bucket === 'month') return `${date.slice(0, 7)}-01`
  const d = new Date(`${date}T00:00:00Z`)
  return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY).toISOString().slice(0, 10)
}

/** Counts per local day, ISO week or month of the period, in the schedule's time zone; empty periods included. */
export async function series(db: Executor, f: StatsFilter, bucket: Bucket, timezone: string) {
  const byPeriod = new Map<string, Counts>()
  const first = bucketOf(localTime(Date.parse(f.from), timezone).date, bucket)
  const last = bucketOf(localTime(Date.parse(f.to) - 1, timezone).date, bucket)
  for (let d = first; d <= last; ) {
    byPeriod.set(d, zero())
    const next = new Date(`${d}T00:00:00Z`)
    if (bucket === 'month') next.setUTCMonth(next.getUTCMonth() + 1)
    else next.setUTCDate(next.getUTCDate() + (bucket === 'week' ? 7 : 1))
    d = next.toISOString().slice(0, 10)
  }
  for (const m of await messagesIn(db, f, f.from, f.to).execute()) {
    const c = byPeriod.get(bucketOf(localTime(Date.parse(m.timestamp), timezone).date, bucket))
    if (c) count(c, m)
  }
  return [...byPeriod].map(([period, c]) => ({ period, ...c }))
}
