import { sql } from 'kysely'
import type { Dialect, Executor } from '../../db/database.js'
import { isOpen, localTime, openTest, type Schedule } from '../automation/opening-hours.js'
import { quantile } from './quantile.js'

export type StatsFilter = { from: string; to: string; channelId?: string | undefined; labelId?: string | undefined; agentId?: string | undefined; campaignId?: string | undefined }
export type Bucket = 'day' | 'week' | 'month'

const DAY = 86_400_000
/** Turns are matched to their answer up to this long before and after the period. */
const TURN_REACH = 7 * DAY

type Counts = { received: number; sent: number; delivered: number; read: number; failed: number }
const zero = (): Counts => ({ received: 0, sent: 0, delivered: 0, read: 0, failed: 0 })
const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Adds `n` messages of one direction and status. Outbound messages count by the furthest status
 * WhatsApp reported (statuses only move forward): a read message was also sent and delivered.
 * Messages still queued or in flight count nowhere yet.
 */
function add(c: Counts, direction: string, status: string, n: number) {
  if (direction === 'inbound') return void (c.received += n)
  if (status === 'sent' || status === 'delivered' || status === 'read') c.sent += n
  if (status === 'delivered' || status === 'read') c.delivered += n
  if (status === 'read') c.read += n
  if (status === 'failed') c.failed += n
}

/** SQL narrowing rows (by their conversation column) to a channel, a label or an agent's conversations. */
function narrowed(f: StatsFilter, conversation = 'm.conversation_id') {
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

/** The local date of `m.timestamp` shifted by a fixed offset, in each engine's own date functions. */
function localDay(dialect: Dialect, offsetMinutes: number) {
  return dialect === 'postgres'
    ? sql<string>`to_char((m.timestamp::timestamptz at time zone 'UTC') + make_interval(mins => ${offsetMinutes}), 'YYYY-MM-DD')`
    : sql<string>`strftime('%Y-%m-%d', m.timestamp, ${`${offsetMinutes >= 0 ? '+' : ''}${offsetMinutes} minutes`})`
}

const offsetMinutes = (instant: number, timezone: string) => {
  const t = localTime(instant, timezone)
  const local = Date.parse(`${t.date}T00:00:00Z`) + t.minutes * 60_000
  return Math.round((local - Math.floor(instant / 60_000) * 60_000) / 60_000)
}

/** [from, to) cut where the zone's offset changes (daylight saving), so each piece has one offset. */
export function constantOffsetPieces(from: number, to: number, timezone: string): { from: number; to: number; offset: number }[] {
  const pieces: { from: number; to: number; offset: number }[] = []
  let start = from
  let offset = offsetMinutes(from, timezone)
  for (let probe = from + 3600_000; probe < to + 3600_000; probe += 3600_000) {
    const at = Math.min(probe, to)
    const o = offsetMinutes(at, timezone)
    if (o === offset) continue
    // The switch lies in the last hour: find its minute.
    let lo = at - 3600_000
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

/** Message counts per local day of the period (by direction and furthest status), in SQL. */
async function dailyCounts(db: Executor, dialect: Dialect, f: StatsFilter, timezone: string): Promise<Map<string, Counts>> {
  const days = new Map<string, Counts>()
  for (const piece of constantOffsetPieces(Date.parse(f.from), Date.parse(f.to), timezone)) {
    const rows = await sql<{ day: string; direction: string; status: string; n: number | string }>`
      select ${localDay(dialect, piece.offset)} as day, m.direction, m.status, count(*) as n
      from messages m
      where m.timestamp >= ${iso(piece.from)} and m.timestamp < ${iso(piece.to)} and m.type <> 'reaction' and ${narrowed(f)} and ${campaignMessages(f)}
      group by 1, 2, 3`.execute(db)
    for (const r of rows.rows) {
      const c = days.get(r.day) ?? zero()
      add(c, r.direction, r.status, Number(r.n))
      days.set(r.day, c)
    }
  }
  return days
}

/**
 * First response times, in SQL: a customer turn starts with a customer message whose previous
 * message in the conversation (customer or agent; automatic answers do not count) was an agent's
 * or none, and ends with the next message an agent wrote.
 */
async function turns(db: Executor, f: StatsFilter) {
  const lo = iso(Date.parse(f.from) - TURN_REACH)
  const hi = iso(Date.parse(f.to) + TURN_REACH)
  // Who answered is only looked up when the figures are for one agent.
  const answeredBy = f.agentId
    ? sql`(select a.sent_by from messages a
        where a.conversation_id = s.conversation_id and a.direction = 'outbound' and a.sent_by is not null and a.timestamp = s.answered
        limit 1)`
    : sql`null`
  const rows = await sql<{ asked: string; answered: string | null; answered_by: string | null }>`
    with seq as (
      select m.conversation_id, m.timestamp, m.direction,
             lag(m.direction) over (partition by m.conversation_id order by m.timestamp, m.id) as prev,
             min(case when m.direction = 'outbound' then m.timestamp end) over (partition by m.conversation_id order by m.timestamp, m.id rows between 1 following and unbounded following) as answered
      from messages m
      where m.timestamp >= ${lo} and m.timestamp < ${hi} and m.type <> 'reaction'
        and (m.direction = 'inbound' or m.sent_by is not null) and ${narrowed(f)}
    )
    select s.timestamp as asked, s.answered, ${answeredBy} as answered_by
    from seq s
    where s.direction = 'inbound' and (s.prev is null or s.prev = 'outbound') and s.timestamp >= ${f.from} and s.timestamp < ${f.to}`.execute(db)
  return rows.rows.flatMap((r) =>
    r.answered && (!f.agentId || r.answered_by === f.agentId) ? [{ askedAt: Date.parse(r.asked), seconds: (Date.parse(r.answered) - Date.parse(r.asked)) / 1000 }] : [],
  )
}

/** Resolution times: from the first customer message after the previous resolution to the resolution. */
async function resolutions(db: Executor, f: StatsFilter) {
  const rows = await sql<{ resolved_at: string; opened: string | null }>`
    select r.resolved_at,
      (select min(i.timestamp) from messages i
        where i.conversation_id = r.conversation_id and i.direction = 'inbound' and i.timestamp <= r.resolved_at
          and i.timestamp > coalesce((select max(p.resolved_at) from conversation_resolutions p where p.conversation_id = r.conversation_id and p.resolved_at < r.resolved_at), '')) as opened
    from conversation_resolutions r
    where r.resolved_at >= ${f.from} and r.resolved_at < ${f.to} and ${narrowed(f, 'r.conversation_id')}`.execute(db)
  return rows.rows.map((r) => ({ opened: r.opened ? Date.parse(r.opened) : null, seconds: r.opened ? (Date.parse(r.resolved_at) - Date.parse(r.opened)) / 1000 : null }))
}

function timing(values: number[]) {
  return { count: values.length, medianSeconds: quantile(values, 0.5), p90Seconds: quantile(values, 0.9) }
}

/** Median and p90, overall and split by whether it began within opening hours. */
function split(items: { at: number; seconds: number }[], open: (instant: number) => boolean) {
  const within: number[] = []
  const outside: number[] = []
  for (const t of items) (open(t.at) ? within : outside).push(t.seconds)
  return { ...timing(items.map((t) => t.seconds)), withinHours: timing(within), outsideHours: timing(outside) }
}

async function consentCounts(db: Executor, f: StatsFilter) {
  return db.selectFrom('consent_events').select(['kind', 'contact_id', 'occurred_at']).where('occurred_at', '>=', f.from).where('occurred_at', '<', f.to).where('kind', 'in', ['confirmed', 'withdrawn', 'objected']).execute()
}

/** One STOP objects to every purpose at once: it is one opt-out, not one per purpose. */
const optOutsOf = (events: { kind: string; contact_id: string; occurred_at: string }[]) => new Set(events.filter((e) => e.kind !== 'confirmed').map((e) => `${e.contact_id}@${e.occurred_at}`)).size

/** The dashboard's figures for a period; every number is derived from the stored messages, resolutions and consent events. */
export async function summary(db: Executor, dialect: Dialect, f: StatsFilter, schedule: Schedule) {
  const counts = zero()
  const totals = await sql<{ direction: string; status: string; n: number | string }>`
    select m.direction, m.status, count(*) as n from messages m
    where m.timestamp >= ${f.from} and m.timestamp < ${f.to} and m.type <> 'reaction' and ${narrowed(f)} and ${campaignMessages(f)}
    group by 1, 2`.execute(db)
  for (const r of totals.rows) add(counts, r.direction, r.status, Number(r.n))

  // Resolved conversations may have opened up to the reach before the period.
  const open = openTest(Date.parse(f.from) - TURN_REACH, Date.parse(f.to), schedule)
  const firstResponse = split((await turns(db, f)).map((t) => ({ at: t.askedAt, seconds: t.seconds })), open)
  const resolved = await resolutions(db, f)
  const resolution = split(resolved.flatMap((r) => (r.opened !== null && r.seconds !== null ? [{ at: r.opened, seconds: r.seconds }] : [])), (at) => (at >= Date.parse(f.from) - TURN_REACH ? open(at) : isOpen(at, schedule)))

  let started = db.selectFrom('conversations').select((eb) => eb.fn.countAll<number>().as('n')).where('created_at', '>=', f.from).where('created_at', '<', f.to)
  if (f.channelId) started = started.where('channel_id', '=', f.channelId)
  if (f.agentId) started = started.where('assignee_id', '=', f.agentId)
  if (f.labelId) started = started.where('id', 'in', db.selectFrom('conversation_labels').select('conversation_id').where('label_id', '=', f.labelId!))
  const consent = await consentCounts(db, f)

  return {
    from: f.from,
    to: f.to,
    ...counts,
    firstResponseMedianSeconds: firstResponse.medianSeconds,
    firstResponseP90Seconds: firstResponse.p90Seconds,
    firstResponse,
    resolution,
    conversationsStarted: Number((await started.executeTakeFirstOrThrow()).n),
    conversationsResolved: resolved.length,
    optIns: consent.filter((e) => e.kind === 'confirmed').length,
    optOuts: optOutsOf(consent),
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
export async function series(db: Executor, dialect: Dialect, f: StatsFilter, bucket: Bucket, timezone: string) {
  const byPeriod = new Map<string, Counts & { optIns: number; optOuts: number }>()
  const first = bucketOf(localTime(Date.parse(f.from), timezone).date, bucket)
  const last = bucketOf(localTime(Date.parse(f.to) - 1, timezone).date, bucket)
  for (let d = first; d <= last; ) {
    byPeriod.set(d, { ...zero(), optIns: 0, optOuts: 0 })
    const next = new Date(`${d}T00:00:00Z`)
    if (bucket === 'month') next.setUTCMonth(next.getUTCMonth() + 1)
    else next.setUTCDate(next.getUTCDate() + (bucket === 'week' ? 7 : 1))
    d = next.toISOString().slice(0, 10)
  }
  for (const [day, c] of await dailyCounts(db, dialect, f, timezone)) {
    const target = byPeriod.get(bucketOf(day, bucket))
    if (!target) continue
    for (const k of ['received', 'sent', 'delivered', 'read', 'failed'] as const) target[k] += c[k]
  }
  const consent = await consentCounts(db, f)
  for (const e of consent) {
    const target = byPeriod.get(bucketOf(localTime(Date.parse(e.occurred_at), timezone).date, bucket))
    if (target && e.kind === 'confirmed') target.optIns++
  }
  const outs = new Map<string, string>()
  for (const e of consent) if (e.kind !== 'confirmed') outs.set(`${e.contact_id}@${e.occurred_at}`, e.occurred_at)
  for (const at of outs.values()) {
    const target = byPeriod.get(bucketOf(localTime(Date.parse(at), timezone).date, bucket))
    if (target) target.optOuts++
  }
  return [...byPeriod].map(([period, c]) => ({ period, ...c }))
}
