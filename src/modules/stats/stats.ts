import { type SqlBool, sql } from 'kysely'
import type { Db, Dialect, Executor } from '../../db/database.js'
import { isOpen, localTime, openTest, type Schedule } from '../automation/opening-hours.js'
import { type DurationCache, durationFigures, filteredFacts } from './durations.js'
import { type Counts, dailyCounts, narrowed, needsRows, periodCounts, type StatsFilter, zero } from './message-counts.js'
import type { StatsProjector } from './projector.js'

export type { StatsFilter } from './message-counts.js'
export { constantOffsetPieces } from './message-counts.js'

export type Bucket = 'day' | 'week' | 'month'

const DAY = 86_400_000
/** Resolved cases may have begun up to this long before the period (opening hours are worked out that far back; before, one instant at a time). */
const REACH = 7 * DAY

/** What answers statistics quickly: the projector that keeps the aggregates current, and the durations held in memory. */
export type StatsStore = { projector: StatsProjector; durations: DurationCache }

async function consentCounts(db: Executor, f: StatsFilter) {
  return db.selectFrom('consent_events').select(['kind', 'contact_id', 'occurred_at']).where('occurred_at', '>=', f.from).where('occurred_at', '<', f.to).where('kind', 'in', ['confirmed', 'withdrawn', 'objected']).execute()
}

/** One STOP objects to every purpose at once: it is one opt-out, not one per purpose. */
const optOutsOf = (events: { kind: string; contact_id: string; occurred_at: string }[]) => new Set(events.filter((e) => e.kind !== 'confirmed').map((e) => `${e.contact_id}@${e.occurred_at}`)).size

/**
 * The dashboard's figures for a period; every number is derived from the stored messages,
 * resolutions and consent events (through aggregates the projector brings up to date first).
 */
export async function summary(db: Db, store: StatsStore, f: StatsFilter, schedule: Schedule) {
  await store.projector.catchUp()
  const from = Date.parse(f.from)
  const to = Date.parse(f.to)
  const counts = await periodCounts(db, f)

  // Resolved cases may have begun long before the period: within reach from the interval list, before it one by one.
  const open = openTest(from - REACH, to, schedule)
  const openAt = (at: number) => (at >= from - REACH ? open(at) : isOpen(at, schedule))
  const facts = needsRows(f) ? await filteredFacts(db, from, to, sql<SqlBool>`${narrowed(f, 'd.conversation_id')}`, f.agentId) : await store.durations.facts(from, to)
  const { firstResponse, resolution, resolved } = durationFigures(facts, { from, to, channelId: f.channelId, open, openAt })

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
export async function series(db: Db, dialect: Dialect, store: StatsStore, f: StatsFilter, bucket: Bucket, timezone: string) {
  await store.projector.catchUp()
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
