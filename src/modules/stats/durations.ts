import type { Expression, SqlBool } from 'kysely'
import type { Db } from '../../db/database.js'

/** Response and resolution facts, column by column (NaN for none). */
export type Facts = { resolution: Uint8Array; at: Float64Array; began: Float64Array; seconds: Float64Array; channel: string[] }
export type FactRow = { kind: string; at: string; began: string | null; seconds: number | string | null; channel_id: string }

/** Durations sorted ascending, by whether they began within opening hours, and the number of resolutions (also those with no opening message). */
export type Groups = { response: { within: Float64Array; outside: Float64Array }; resolution: { within: Float64Array; outside: Float64Array }; resolved: number }

export function toFacts(rows: FactRow[]): Facts {
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

/** The facts `keep` selects, grouped and sorted. */
export function groupsOf(f: Facts, keep: (i: number) => boolean, open: (instant: number) => boolean): Groups {
  const lists = { response: { within: [] as number[], outside: [] as number[] }, resolution: { within: [] as number[], outside: [] as number[] } }
  let resolved = 0
  for (let i = 0; i < f.at.length; i++) {
    if (!keep(i)) continue
    if (f.resolution[i]) resolved++
    const seconds = f.seconds[i]!
    if (Number.isNaN(seconds)) continue
    const kind = f.resolution[i] ? lists.resolution : lists.response
    ;(open(f.began[i]!) ? kind.within : kind.outside).push(seconds)
  }
  const sorted = (xs: number[]) => Float64Array.from(xs).sort()
  return {
    response: { within: sorted(lists.response.within), outside: sorted(lists.response.outside) },
    resolution: { within: sorted(lists.resolution.within), outside: sorted(lists.resolution.outside) },
    resolved,
  }
}

/** Facts of the conversations a filter selects, straight from the table (labels, agents and campaigns change who is in). */
export async function filteredFacts(db: Db, from: number, to: number, conversations: Expression<SqlBool>, answeredBy: string | undefined): Promise<Facts> {
  const rows = await db
    .selectFrom('stats_durations as d')
    .select(['d.kind', 'd.at', 'd.began', 'd.seconds', 'd.channel_id'])
    .where('d.at', '>=', new Date(from).toISOString())
    .where('d.at', '<', new Date(to).toISOString())
    .where(conversations)
    .$if(answeredBy !== undefined, (q) => q.where((eb) => eb.or([eb('d.kind', '=', 'resolution'), eb('d.answered_by', '=', answeredBy!)])))
    .execute()
  return toFacts(rows)
}

/** Elements ≤ v in an ascending array. */
function countAtMost(a: Float64Array, v: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (a[mid]! <= v) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The p-quantile by nearest rank of the union of ascending arrays, without merging them: a
 * binary search over whole milliseconds (durations are differences of millisecond instants)
 * for the first value with enough elements at or below it.
 */
export function quantileOfSorted(arrays: Float64Array[], p: number): number | null {
  const parts = arrays.filter((a) => a.length > 0)
  const total = parts.reduce((n, a) => n + a.length, 0)
  if (total === 0) return null
  const rank = Math.max(1, Math.ceil(p * total))
  const atMost = (ms: number) => parts.reduce((n, a) => n + countAtMost(a, ms / 1000), 0)
  let lo = Math.floor(Math.min(...parts.map((a) => a[0]!)) * 1000)
  let hi = Math.ceil(Math.max(...parts.map((a) => a[a.length - 1]!)) * 1000)
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2)
    if (atMost(mid) >= rank) hi = mid
    else lo = mid + 1
  }
  // The value itself: the smallest element above the previous millisecond.
  let best = Number.POSITIVE_INFINITY
  for (const a of parts) {
    const i = countAtMost(a, (lo - 1) / 1000)
    if (i < a.length && a[i]! < best) best = a[i]!
  }
  return best
}

type Timing = { count: number; medianSeconds: number | null; p90Seconds: number | null }
const timing = (arrays: Float64Array[]): Timing => ({ count: arrays.reduce((n, a) => n + a.length, 0), medianSeconds: quantileOfSorted(arrays, 0.5), p90Seconds: quantileOfSorted(arrays, 0.9) })
const split = (within: Float64Array[], outside: Float64Array[]) => ({ ...timing([...within, ...outside]), withinHours: timing(within), outsideHours: timing(outside) })

/** First response and resolution times (median, p90; within and outside opening hours) of groups taken together. */
export function durationFigures(groups: Groups[]) {
  return {
    firstResponse: split(groups.map((g) => g.response.within), groups.map((g) => g.response.outside)),
    resolution: split(groups.map((g) => g.resolution.within), groups.map((g) => g.resolution.outside)),
    resolved: groups.reduce((n, g) => n + g.resolved, 0),
  }
}
