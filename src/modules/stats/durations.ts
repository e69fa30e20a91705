import type { Expression, SqlBool } from 'kysely'
import type { Db } from '../../db/database.js'
import { collectChunks } from '../../platform/chunks.js'
import { quantile } from './quantile.js'

/** Response and resolution facts of some days, column by column (NaN for none). */
export type Facts = { resolution: Uint8Array; at: Float64Array; began: Float64Array; seconds: Float64Array; channel: string[] }
type FactRow = { day: string; kind: string; at: string; began: string | null; seconds: number | string | null; channel_id: string }

const DAY = 86_400_000
/** Days kept in memory per database (about 1,500 facts a day at a million messages a year). */
const MAX_DAYS = 800

function toFacts(rows: FactRow[]): Facts {
  const f: Facts = { resolution: new Uint8Array(rows.length), at: new Float64Array(rows.length), began: new Float64Array(rows.length), seconds: new Float64Array(rows.length), channel: new Array<string>(rows.length) }
  rows.forEach((r, i) => {
    f.resolution[i] = r.kind === 'resolution' ? 1 : 0
    f.at[i] = Date.parse(r.at)
    f.began[i] = r.began ? Date.parse(r.began) : Number.NaN
    f.seconds[i] = r.seconds === null ? Number.NaN : Number(r.seconds)
    f.channel[i] = r.channel_id
  })
  return f
}

const utcDays = (from: number, to: number) => {
  const days: string[] = []
  for (let d = Math.floor(from / DAY) * DAY; d < to; d += DAY) days.push(new Date(d).toISOString().slice(0, 10))
  return days
}

/**
 * The projected durations by UTC day, kept in this process and checked against each day's
 * revision on every use, so that a dashboard over a year reads only the days that changed
 * (today's, mostly) — also when other processes wrote them.
 */
export class DurationCache {
  private readonly days = new Map<string, { rev: number; facts: Facts }>()

  constructor(private readonly db: Db) {}

  async facts(from: number, to: number): Promise<Facts[]> {
    const wanted = utcDays(from, to)
    const revisions = await this.db.selectFrom('stats_day_revisions').select(['day', 'rev']).where('day', '>=', wanted[0]!).where('day', '<=', wanted.at(-1)!).execute()
    const stale = revisions.filter((r) => this.days.get(r.day)?.rev !== Number(r.rev))
    if (stale.length) {
      const rows = await collectChunks(stale, (chunk) => this.db.selectFrom('stats_durations').select(['day', 'kind', 'at', 'began', 'seconds', 'channel_id']).where('day', 'in', chunk.map((r) => r.day)).execute())
      const byDay = new Map<string, FactRow[]>(stale.map((r) => [r.day, []]))
      for (const r of rows) byDay.get(r.day)?.push(r)
      for (const r of stale) this.days.set(r.day, { rev: Number(r.rev), facts: toFacts(byDay.get(r.day)!) })
    }
    const out: Facts[] = []
    for (const r of revisions) {
      const entry = this.days.get(r.day)!
      // Most recently used last, so that the oldest is evicted first.
      this.days.delete(r.day)
      this.days.set(r.day, entry)
      out.push(entry.facts)
    }
    for (const day of this.days.keys()) {
      if (this.days.size <= MAX_DAYS) break
      this.days.delete(day)
    }
    return out
  }
}

/** Facts of the conversations a filter selects, straight from the table (labels, agents and campaigns change who is in). */
export async function filteredFacts(db: Db, from: number, to: number, conversations: Expression<SqlBool>, answeredBy: string | undefined): Promise<Facts[]> {
  const rows = await db
    .selectFrom('stats_durations as d')
    .select(['d.day', 'd.kind', 'd.at', 'd.began', 'd.seconds', 'd.channel_id'])
    .where('d.at', '>=', new Date(from).toISOString())
    .where('d.at', '<', new Date(to).toISOString())
    .where(conversations)
    .$if(answeredBy !== undefined, (q) => q.where((eb) => eb.or([eb('d.kind', '=', 'resolution'), eb('d.answered_by', '=', answeredBy!)])))
    .execute()
  return [toFacts(rows)]
}

type Timing = { count: number; medianSeconds: number | null; p90Seconds: number | null }
const timing = (values: number[]): Timing => ({ count: values.length, medianSeconds: quantile(values, 0.5), p90Seconds: quantile(values, 0.9) })
const split = (within: number[], outside: number[]) => ({ ...timing([...within, ...outside]), withinHours: timing(within), outsideHours: timing(outside) })

/**
 * First response times (answered turns asked in the period) and resolution times (resolutions in
 * the period), median and p90, split by whether the turn or case began within opening hours.
 */
export function durationFigures(chunks: Facts[], o: { from: number; to: number; channelId?: string | undefined; open: (at: number) => boolean; openAt: (at: number) => boolean }) {
  const response = { within: [] as number[], outside: [] as number[] }
  const resolution = { within: [] as number[], outside: [] as number[] }
  let resolved = 0
  for (const f of chunks) {
    for (let i = 0; i < f.at.length; i++) {
      const at = f.at[i]!
      if (at < o.from || at >= o.to || (o.channelId !== undefined && f.channel[i] !== o.channelId)) continue
      const seconds = f.seconds[i]!
      if (f.resolution[i]) {
        resolved++
        if (!Number.isNaN(seconds)) (o.openAt(f.began[i]!) ? resolution.within : resolution.outside).push(seconds)
      } else if (!Number.isNaN(seconds)) (o.open(f.began[i]!) ? response.within : response.outside).push(seconds)
    }
  }
  return { firstResponse: split(response.within, response.outside), resolution: split(resolution.within, resolution.outside), resolved }
}
