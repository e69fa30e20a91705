import { type RawBuilder, sql } from 'kysely'
import type { Dialect, Executor } from '../../db/database.js'
import { localTime } from '../automation/opening-hours.js'
import type { StatsDay } from './day-cache.js'

export type StatsFilter = { from: string; to: string; channelId?: string | undefined; labelId?: string | undefined; agentId?: string | undefined; campaignId?: string | undefined }
export type Counts = { received: number; sent: number; delivered: number; read: number; failed: number }
type CountRow = { direction: string; status: string; n: number | string }

const HOUR = 3_600_000
const DAY = 24 * HOUR
const PROBE = 24 * HOUR
export const zero = (): Counts => ({ received: 0, sent: 0, delivered: 0, read: 0, failed: 0 })
export const sum = (a: Counts, b: Counts): Counts => ({ received: a.received + b.received, sent: a.sent + b.sent, delivered: a.delivered + b.delivered, read: a.read + b.read, failed: a.failed + b.failed })
const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Adds `n` messages of one direction and status. Outbound messages count by the furthest status
 * WhatsApp reported (statuses only move forward): a read message was also sent and delivered.
 * Messages still queued or in flight count nowhere yet.
 */
export function add(c: Counts, direction: string, status: string, n: number) {
  if (direction === 'inbound') return void (c.received += n)
  if (status === 'sent' || status === 'delivered' || status === 'read') c.sent += n
  if (status === 'delivered' || status === 'read') c.delivered += n
  if (status === 'read') c.read += n
  if (status === 'failed') c.failed += n
}

/** True when the figures must come from the rows themselves: labels, agents and campaigns change which conversations belong. */
export const needsRows = (f: StatsFilter) => Boolean(f.labelId || f.agentId || f.campaignId)

/** SQL narrowing rows (by their conversation column) to a channel, a label or an agent's conversations. */
export function narrowed(f: StatsFilter, conversation = 'm.conversation_id') {
  const c = sql.ref(conversation)
  const parts = [sql`1 = 1`]
  if (f.channelId) parts.push(sql`${c} in (select id from conversations where channel_id = ${f.channelId})`)
  if (f.agentId) parts.push(sql`${c} in (select id from conversations where assignee_id = ${f.agentId})`)
  if (f.labelId) parts.push(sql`${c} in (select conversation_id from conversation_labels where label_id = ${f.labelId})`)
  // A campaign's conversations: its messages and the answers to them.
  if (f.campaignId) parts.push(sql`${c} in (select m2.conversation_id from campaign_recipients r2 join messages m2 on m2.id = r2.message_id where r2.campaign_id = ${f.campaignId})`)
  return sql.join(parts, sql` and `)
}

/** With a campaign: of the outbound messages only the campaign's own count (its sends), not agents' later replies. */
function campaignMessages(f: StatsFilter) {
  return f.campaignId ? sql`(m.direction = 'inbound' or m.id in (select message_id from campaign_recipients where campaign_id = ${f.campaignId}))` : sql`1 = 1`
}

/** The whole UTC hours inside [from, to) (kept as aggregates) and the partial hours at its edges. */
function hourSplit(from: number, to: number): { hours: [number, number] | null; edges: [number, number][] } {
  const first = Math.ceil(from / HOUR) * HOUR
  const end = Math.floor(to / HOUR) * HOUR
  if (first >= end) return { hours: null, edges: [[from, to]] }
  const edges: [number, number][] = []
  if (from < first) edges.push([from, first])
  if (end < to) edges.push([end, to])
  return { hours: [first, end], edges }
}

/** The cached hourly counts of [first, end) on one number or all. */
function* cachedHours(days: StatsDay[], [first, end]: [number, number], channelId: string | undefined) {
  for (const d of days) {
    if (d.start + DAY <= first || d.start >= end) continue
    for (const h of d.hours) if (h.hour >= first && h.hour < end && (channelId === undefined || h.channel === channelId)) yield h
  }
}

const rawCounts = (db: Executor, f: StatsFilter, from: number, to: number, day?: RawBuilder<string>) => sql<CountRow & { day: string }>`
  select ${day ?? sql`''`} as day, m.direction, m.status, count(*) as n from messages m
  where m.timestamp >= ${iso(from)} and m.timestamp < ${iso(to)} and m.type <> 'reaction' and ${narrowed(f)} and ${campaignMessages(f)}
  group by 1, 2, 3`.execute(db)

/**
 * Message counts of the period: whole hours from the cached hourly aggregates (`days`; none when a
 * filter needs the rows), the edges from the messages.
 */
export async function periodCounts(db: Executor, f: StatsFilter, days: StatsDay[] | null): Promise<Counts> {
  const counts = zero()
  const { hours, edges } = days ? hourSplit(Date.parse(f.from), Date.parse(f.to)) : { hours: null, edges: [[Date.parse(f.from), Date.parse(f.to)] as [number, number]] }
  if (hours && days) {
    // Whole days by their totals, the hours of the others one by one.
    const whole = (d: StatsDay) => d.start >= hours[0] && d.start + DAY <= hours[1]
    for (const d of days) if (whole(d)) for (const [channel, c] of d.totals) if (f.channelId === undefined || channel === f.channelId) Object.assign(counts, sum(counts, c))
    for (const h of cachedHours(days.filter((d) => !whole(d)), hours, f.channelId)) add(counts, h.direction, h.status, h.n)
  }
  for (const [a, b] of edges) for (const r of (await rawCounts(db, f, a, b)).rows) add(counts, r.direction, r.status, Number(r.n))
  return counts
}

/** The local date of an ISO instant shifted by a fixed offset, in each engine's own date functions. */
function localDay(dialect: Dialect, instant: RawBuilder<string>, offsetMinutes: number) {
  return dialect === 'postgres'
    ? sql<string>`to_char(((${instant})::timestamptz at time zone 'UTC') + make_interval(mins => ${offsetMinutes}), 'YYYY-MM-DD')`
    : sql<string>`strftime('%Y-%m-%d', ${instant}, ${`${offsetMinutes >= 0 ? '+' : ''}${offsetMinutes} minutes`})`
}

const offsetMinutes = (instant: number, timezone: string) => {
  const t = localTime(instant, timezone)
  const local = Date.parse(`${t.date}T00:00:00Z`) + t.minutes * 60_000
  return Math.round((local - Math.floor(instant / 60_000) * 60_000) / 60_000)
}

/**
 * [from, to) cut where the zone's offset changes (daylight saving), so each piece has one offset.
 * Probed once a day (no zone changes its offset twice within a day), the switch then found to the minute.
 */
export function constantOffsetPieces(from: number, to: number, timezone: string): { from: number; to: number; offset: number }[] {
  const pieces: { from: number; to: number; offset: number }[] = []
  let start = from
  let offset = offsetMinutes(from, timezone)
  for (let probe = from + PROBE; probe < to + PROBE; probe += PROBE) {
    const at = Math.min(probe, to)
    const o = offsetMinutes(at, timezone)
    if (o === offset) continue
    let lo = at - PROBE
    let hi = at
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000
      if (offsetMinutes(mid, timezone) === offset) lo = mid
      else hi = mid
    }
    pieces.push({ from: start, to: hi, offset })
    start = hi
    offset = o
  }
  pieces.push({ from: start, to, offset })
  return pieces
}

/**
 * Message counts per local day of the period, for each piece of constant offset: its whole hours
 * from the cached aggregates (when the zone's offset is whole hours, so that an hour never
 * straddles two days), its edges (or everything, when a filter needs the rows) grouped by local
 * day in SQL.
 */
export async function dailyCounts(db: Executor, dialect: Dialect, f: StatsFilter, timezone: string, cached: StatsDay[] | null): Promise<Map<string, Counts>> {
  const days = new Map<string, Counts>()
  const into = (day: string, direction: string, status: string, n: number) => {
    const c = days.get(day) ?? zero()
    add(c, direction, status, n)
    days.set(day, c)
  }
  const pieces = constantOffsetPieces(Date.parse(f.from), Date.parse(f.to), timezone)
  const aggregated = cached && pieces.every((p) => p.offset % 60 === 0)
  for (const piece of pieces) {
    const { hours, edges } = aggregated ? hourSplit(piece.from, piece.to) : { hours: null, edges: [[piece.from, piece.to] as [number, number]] }
    if (hours && cached) {
      // Counted by local day number first: a date string per day, not per hour.
      const byDay = new Map<number, Counts>()
      for (const h of cachedHours(cached, hours, f.channelId)) {
        const n = Math.floor((h.hour + piece.offset * 60_000) / DAY)
        const c = byDay.get(n) ?? zero()
        add(c, h.direction, h.status, h.n)
        byDay.set(n, c)
      }
      for (const [n, c] of byDay) {
        const day = iso(n * DAY).slice(0, 10)
        days.set(day, sum(days.get(day) ?? zero(), c))
      }
    }
    for (const [a, b] of edges) for (const r of (await rawCounts(db, f, a, b, localDay(dialect, sql`m.timestamp`, piece.offset))).rows) into(r.day, r.direction, r.status, Number(r.n))
  }
  return days
}
