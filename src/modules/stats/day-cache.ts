import type { Db } from '../../db/database.js'
import { collectChunks } from '../../platform/chunks.js'
import { type Facts, type FactRow, type Groups, groupsOf, toFacts } from './durations.js'
import { add, type Counts, zero } from './message-counts.js'

export type HourCount = { hour: number; channel: string; direction: string; status: string; n: number }
/** One UTC day of the projection as this process holds it. */
export type StatsDay = { day: string; start: number; rev: number; facts: Facts; hours: HourCount[]; totals: Map<string, Counts>; groups?: { schedule: string; byChannel: Map<string, Groups> } }

const DAY = 86_400_000
/** Days kept in memory per database (about 1,500 facts a day at a million messages a year). */
const MAX_DAYS = 800

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const nextDay = (day: string) => utcDay(Date.parse(`${day}T00:00:00Z`) + DAY)

/** Consecutive days joined into [first, last] runs, so a year loads in one range query. */
function runs(days: string[]): [string, string][] {
  const out: [string, string][] = []
  for (const day of [...days].sort()) {
    const last = out.at(-1)
    if (last && nextDay(last[1]) === day) last[1] = day
    else out.push([day, day])
  }
  return out
}

/**
 * The projection by UTC day — hourly message counts and durations — kept in this process and
 * checked against each day's revision on every use, so that a dashboard over a year reads only
 * the days that changed (today's, mostly), also when another process wrote them.
 */
export class StatsDayCache {
  private readonly days = new Map<string, StatsDay>()

  constructor(private readonly db: Db) {}

  /** The days overlapping [from, to) that hold anything, as of now. */
  async daysOf(from: number, to: number): Promise<StatsDay[]> {
    const revisions = await this.db.selectFrom('stats_day_revisions').select(['day', 'rev']).where('day', '>=', utcDay(from)).where('day', '<=', utcDay(to - 1)).orderBy('day').execute()
    const stale = revisions.filter((r) => this.days.get(r.day)?.rev !== Number(r.rev))
    if (stale.length) await this.load(stale.map((r) => ({ day: r.day, rev: Number(r.rev) })))
    const out: StatsDay[] = []
    for (const r of revisions) {
      const entry = this.days.get(r.day)!
      // Most recently used last, so that the oldest is evicted first.
      this.days.delete(r.day)
      this.days.set(r.day, entry)
      out.push(entry)
    }
    for (const day of this.days.keys()) {
      if (this.days.size <= MAX_DAYS) break
      this.days.delete(day)
    }
    return out
  }

  private async load(stale: { day: string; rev: number }[]) {
    // Revisions were read first: a change committed meanwhile is loaded now and reloaded next time.
    const facts = await collectChunks(stale, (chunk) => this.db.selectFrom('stats_durations').select(['day', 'kind', 'at', 'began', 'seconds', 'channel_id']).where('day', 'in', chunk.map((r) => r.day)).execute())
    const hours = await collectChunks(runs(stale.map((r) => r.day)), async ([run]) => this.db.selectFrom('stats_message_hours').selectAll().where('hour', '>=', `${run![0]}T00`).where('hour', '<=', `${run![1]}T23`).execute(), 1)
    const factsByDay = new Map<string, FactRow[]>(stale.map((r) => [r.day, []]))
    for (const r of facts) factsByDay.get(r.day)?.push(r)
    const hoursByDay = new Map<string, HourCount[]>(stale.map((r) => [r.day, []]))
    for (const h of hours) hoursByDay.get(h.hour.slice(0, 10))?.push({ hour: Date.parse(`${h.hour}:00:00Z`), channel: h.channel_id, direction: h.direction, status: h.status, n: Number(h.n) })
    for (const r of stale) {
      const totals = new Map<string, Counts>()
      for (const h of hoursByDay.get(r.day)!) {
        const c = totals.get(h.channel) ?? zero()
        add(c, h.direction, h.status, h.n)
        totals.set(h.channel, c)
      }
      this.days.set(r.day, { day: r.day, start: Date.parse(`${r.day}T00:00:00Z`), rev: r.rev, facts: toFacts(factsByDay.get(r.day)!), hours: hoursByDay.get(r.day)!, totals })
    }
  }
}

/** A whole day's durations per number, sorted, for one schedule (worked out again when opening hours change). */
export function dayGroups(day: StatsDay, schedule: string, open: (instant: number) => boolean): Map<string, Groups> {
  if (day.groups?.schedule === schedule) return day.groups.byChannel
  const byChannel = new Map<string, Groups>()
  for (const channel of new Set(day.facts.channel)) byChannel.set(channel, groupsOf(day.facts, (i) => day.facts.channel[i] === channel, open))
  day.groups = { schedule, byChannel }
  return byChannel
}
