import { type SqlBool, sql } from 'kysely'
import type { Db, Dialect, Executor } from '../../db/database.js'
import { isOpen, localTime, openTest, type Schedule } from '../automation/opening-hours.js'
import { dayGroups, type StatsDay, type StatsDayCache } from './day-cache.js'
import { durationFigures, filteredFacts, type Groups, groupsOf } from './durations.js'
import { type Counts, dailyCounts, narrowed, needsRows, periodCounts, type StatsFilter, zero } from './message-counts.js'
import type { StatsProjector } from './projector.js'
import { answersAgainstTarget, type FactSource, replyTargetFigures, type TargetContext } from './reply-target-figures.js'

export type { StatsFilter } from './message-counts.js'
export { constantOffsetPieces } from './message-counts.js'

export type Bucket = 'day' | 'week' | 'month'

const DAY = 86_400_000
/** Resolved cases may have begun up to this long before the period (opening hours are worked out that far back; before, one instant at a time). */
const REACH = 7 * DAY

/** What answers statistics quickly: the projector that keeps the aggregates current, the days held in memory, the last opening-hours test. */
export type StatsStore = { projector: StatsProjector; days: StatsDayCache; openings: OpeningsCache }

/** The opening-hours test over whole UTC days around a period, kept for the next request (the dashboard asks for the same period again and again). */
export class OpeningsCache {
  private key = ''
  private test: (instant: number) => boolean = () => false

  around(schedule: Schedule, scheduleKey: string, from: number, to: number) {
    const start = Math.floor((from - REACH) / DAY) * DAY
    const end = Math.ceil(to / DAY) * DAY
    const key = `${scheduleKey}|${start}|${end}`
    if (key !== this.key) {
      const near = openTest(start, end, schedule)
      // Exact for any instant: the interval list around the period, the schedule itself before it (a case may have opened long ago).
      this.test = (at) => (at >= start && at < end ? near(at) : isOpen(at, schedule))
      this.key = key
    }
    return this.test
  }
}

/**
 * Durations of the period, grouped: whole days from the cache (per number, sorted once per
 * schedule), the edge days — and everything, when a filter needs the rows — from their facts.
 */
async function periodGroups(db: Db, store: StatsStore, f: StatsFilter, days: StatsDay[] | null, schedule: Schedule): Promise<Groups[]> {
  const from = Date.parse(f.from)
  const to = Date.parse(f.to)
  const key = JSON.stringify(schedule)
  const open = store.openings.around(schedule, key, from, to)
  if (!days) return [groupsOf(await filteredFacts(db, from, to, sql<SqlBool>`${narrowed(f, 'd.conversation_id')}`, f.agentId), () => true, open)]
  return days.flatMap((d) => {
    if (d.start >= from && d.start + DAY <= to) {
      const byChannel = dayGroups(d, key, open)
      return f.channelId ? (byChannel.has(f.channelId) ? [byChannel.get(f.channelId)!] : []) : [...byChannel.values()]
    }
    return [groupsOf(d.facts, (i) => d.facts.at[i]! >= from && d.facts.at[i]! < to && (!f.channelId || d.facts.channel[i] === f.channelId), open)]
  })
}

/** The period's facts as they are held (whole cached days, or the rows a filter selects), for figures that need each one. */
async function periodFacts(db: Db, f: StatsFilter, days: StatsDay[] | null): Promise<FactSource[]> {
  const from = Date.parse(f.from)
  const to = Date.parse(f.to)
  if (!days) return [{ facts: await filteredFacts(db, from, to, sql<SqlBool>`${narrowed(f, 'd.conversation_id')}`, f.agentId), keep: () => true }]
  return days.map((d) => ({ facts: d.facts, keep: (i: number) => d.facts.at[i]! >= from && d.facts.at[i]! < to && (!f.channelId || d.facts.channel[i] === f.channelId) }))
}

async function consentCounts(db: Executor, f: StatsFilter) {
  return db.selectFrom('consent_events').select(['kind', 'contact_id', 'occurred_at']).where('occurred_at', '>=', f.from).where('occurred_at', '<', f.to).where('kind', 'in', ['confirmed', 'withdrawn', 'objected']).execute()
}

/** One STOP objects to every purpose at once: it is one opt-out, not one per purpose. */
const optOutsOf = (events: { kind: string; contact_id: string; occurred_at: string }[]) => new Set(events.filter((e) => e.kind !== 'confirmed').map((e) => `${e.contact_id}@${e.occurred_at}`)).size

/**
 * The dashboard's figures for a period; every number is derived from the stored messages,
 * resolutions and consent events (through aggregates the projector brings up to date first).
 */
export async function summary(db: Db, store: StatsStore, f: StatsFilter, target: TargetContext) {
  const { schedule } = target
  await store.projector.catchUp()
  const days = needsRows(f) ? null : await store.days.daysOf(Date.parse(f.from), Date.parse(f.to))
  const counts = await periodCounts(db, f, days)
  const { firstResponse, resolution, resolved } = durationFigures(await periodGroups(db, store, f, days, schedule))

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
    conversationsResolved: resolved,
    optIns: consent.filter((e) => e.kind === 'confirmed').length,
    optOuts: optOutsOf(consent),
    replyTarget: replyTargetFigures(await periodFacts(db, f, days), target, { from: Date.parse(f.from), to: Date.parse(f.to) }),
  }
}

/** Monday of the ISO week, or the first of the month, of a local date. */
function bucketOf(date: string, bucket: Bucket): string {
  if (bucket === 'day') return date
  if (bucket === 'month') return `${date.slice(0, 7)}-01`
  const d = new Date(`${date}T00:00:00Z`)
  return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY).toISOString().slice(0, 10)
}

/**
 * Counts per local day, ISO week or month of the period, in the schedule's time zone; empty periods
 * included. With a reply target, the answers within and beyond it, by the day the customer asked.
 */
export async function series(db: Db, dialect: Dialect, store: StatsStore, f: StatsFilter, bucket: Bucket, target: TargetContext) {
  const { timezone } = target.schedule
  await store.projector.catchUp()
  const days = needsRows(f) ? null : await store.days.daysOf(Date.parse(f.from), Date.parse(f.to))
  const byPeriod = new Map<string, Counts & { optIns: number; optOuts: number; replyTargetMet?: number; replyTargetMissed?: number }>()
  const first = bucketOf(localTime(Date.parse(f.from), timezone).date, bucket)
  const last = bucketOf(localTime(Date.parse(f.to) - 1, timezone).date, bucket)
  for (let d = first; d <= last; ) {
    byPeriod.set(d, { ...zero(), optIns: 0, optOuts: 0, ...(target.replyTarget.minutes !== null ? { replyTargetMet: 0, replyTargetMissed: 0 } : {}) })
    const next = new Date(`${d}T00:00:00Z`)
    if (bucket === 'month') next.setUTCMonth(next.getUTCMonth() + 1)
    else next.setUTCDate(next.getUTCDate() + (bucket === 'week' ? 7 : 1))
    d = next.toISOString().slice(0, 10)
  }
  for (const [day, c] of await dailyCounts(db, dialect, f, timezone, days)) {
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
  for (const answer of answersAgainstTarget(await periodFacts(db, f, days), target, { from: Date.parse(f.from), to: Date.parse(f.to) })) {
    const period = byPeriod.get(bucketOf(localTime(answer.asked, timezone).date, bucket))
    if (!period) continue
    if (answer.met) period.replyTargetMet!++
    else period.replyTargetMissed!++
  }
  return [...byPeriod].map(([period, c]) => ({ period, ...c }))
}
