import { holidayOn, type Region } from './holidays.js'

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]
/** `from` and `to` are local wall-clock times `HH:MM`; `to` may be `24:00`. */
export type Interval = { from: string; to: string }
export type Closure = { date: string; to?: string | undefined; name: string }

export type Schedule = {
  timezone: string
  openingHours: Record<Weekday, Interval[]>
  holidays: { region: Region | null; custom: Closure[] }
}

export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

type LocalTime = { date: string; weekday: Weekday; minutes: number }

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short' })
    formatters.set(timezone, f)
  }
  return f
}

/** True when the IANA zone name is known to this Node's ICU. */
export function isTimeZone(name: string): boolean {
  try {
    formatter(name)
    return true
  } catch {
    return false
  }
}

function partsOf(instant: number, timezone: string) {
  const p = Object.fromEntries(formatter(timezone).formatToParts(instant).map((x) => [x.type, x.value]))
  return { year: Number(p.year), month: Number(p.month), day: Number(p.day), hour: Number(p.hour), minute: Number(p.minute), second: Number(p.second), weekday: String(p.weekday) }
}

/** Wall-clock date, weekday and minute of the day of an instant in a time zone. */
export function localTime(instant: number, timezone: string): LocalTime {
  const p = partsOf(instant, timezone)
  const weekday = WEEKDAYS[['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday)]!
  return { date: `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`, weekday, minutes: p.hour * 60 + p.minute }
}

/** The zone's offset from UTC at an instant, in ms (Berlin: +1 h in winter, +2 h in summer). */
function offsetAt(instant: number, timezone: string): number {
  const p = partsOf(instant, timezone)
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000
}

/**
 * The instant of a wall-clock time on a local date. A time the spring-forward skips (02:30 on the
 * last Sunday of March in Berlin) maps to the instant an hour later on the clock (03:30).
 */
export function instantOf(date: string, minutes: number, timezone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const wall = Date.UTC(y, m - 1, d, 0, minutes)
  const first = wall - offsetAt(wall, timezone)
  const second = wall - offsetAt(first, timezone)
  return second
}

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
const weekdayOf = (date: string): Weekday => WEEKDAYS[(new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7]!

/** Why the business is closed all day on a local date (public holiday or own closure), if it is. */
export function closedAllDay(date: string, s: Schedule): string | undefined {
  const own = s.holidays.custom.find((c) => date >= c.date && date <= (c.to ?? c.date))
  if (own) return own.name
  return s.holidays.region ? holidayOn(date, s.holidays.region) : undefined
}

export function isOpen(instant: number, s: Schedule): boolean {
  const t = localTime(instant, s.timezone)
  if (closedAllDay(t.date, s)) return false
  return s.openingHours[t.weekday].some((i) => t.minutes >= minutesOf(i.from) && t.minutes < minutesOf(i.to))
}

/** The next instant the business opens after `instant` (within a year), or null if it never does. */
export function nextOpening(instant: number, s: Schedule): number | null {
  const today = localTime(instant, s.timezone)
  for (let d = 0; d <= 366; d++) {
    const date = addDays(today.date, d)
    if (closedAllDay(date, s)) continue
    const starts = s.openingHours[weekdayOf(date)].map((i) => minutesOf(i.from)).sort((a, b) => a - b)
    for (const start of starts) {
      const at = instantOf(date, start, s.timezone)
      if (at > instant) return at
    }
  }
  return null
}

/** The opening intervals [start, end) of one local date, in time order (none on a closed day). */
function intervalsOn(date: string, s: Schedule): [number, number][] {
  if (closedAllDay(date, s)) return []
  return s.openingHours[weekdayOf(date)]
    .map((i): [number, number] => [
      instantOf(date, minutesOf(i.from), s.timezone),
      minutesOf(i.to) === 24 * 60 ? instantOf(addDays(date, 1), 0, s.timezone) : instantOf(date, minutesOf(i.to), s.timezone),
    ])
    .sort((a, b) => a[0] - b[0])
}

/** How far the business-time walks look (a schedule with no opening in a year never reaches a target). */
const WALK_DAYS = 400

/**
 * The instant at which `ms` of opening time have passed since `start` (a message at 16:30 with a
 * two-hour target and 9–17 hours is due at 10:30 on the next working day), or null if the
 * business does not open long enough within a year.
 */
export function addOpenTime(start: number, ms: number, s: Schedule): number | null {
  let left = ms
  const first = localTime(start, s.timezone).date
  for (let d = 0; d <= WALK_DAYS; d++) {
    for (const [from, to] of intervalsOn(addDays(first, d), s)) {
      if (to <= start) continue
      const begin = Math.max(from, start)
      if (begin + left <= to) return begin + left
      left -= to - begin
    }
  }
  return null
}

/**
 * The latest instant from which `ms` of opening time have passed by `end`: whatever began at or
 * before it has waited at least `ms` of opening time. Null if the business was not open that long
 * within a year before.
 */
export function subtractOpenTime(end: number, ms: number, s: Schedule): number | null {
  let left = ms
  const last = localTime(end, s.timezone).date
  for (let d = 0; d <= WALK_DAYS; d++) {
    for (const [from, to] of intervalsOn(addDays(last, -d), s).reverse()) {
      if (from >= end) continue
      const finish = Math.min(to, end)
      if (finish - left >= from) return finish - left
      left -= finish - from
    }
  }
  return null
}

/** The opening intervals of the local days around [from, to), in time order. */
function intervalsAround(from: number, to: number, s: Schedule): [number, number][] {
  const intervals: [number, number][] = []
  const first = localTime(from, s.timezone).date
  const last = localTime(to, s.timezone).date
  for (let date = addDays(first, -1); date <= addDays(last, 1); date = addDays(date, 1)) intervals.push(...intervalsOn(date, s))
  return intervals.sort((a, b) => a[0] - b[0])
}

/**
 * A fast "how much opening time lies between two instants?" for many pairs within [from, to]:
 * the intervals with their running total of opening time, then two binary searches a pair.
 * Instants outside the span count from its edge.
 */
export function openTimeBetween(from: number, to: number, s: Schedule): (a: number, b: number) => number {
  const intervals = intervalsAround(from, to, s)
  const before: number[] = [] // opening time before each interval starts
  let total = 0
  for (const [start, end] of intervals) {
    before.push(total)
    total += end - start
  }
  /** Opening time from the first interval up to an instant. */
  const upTo = (t: number) => {
    let lo = 0
    let hi = intervals.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (intervals[mid]![0] <= t) lo = mid + 1
      else hi = mid
    }
    if (lo === 0) return 0
    const [start, end] = intervals[lo - 1]!
    return before[lo - 1]! + Math.min(t, end) - start
  }
  return (a, b) => Math.max(0, upTo(b) - upTo(a))
}

/**
 * A fast "open at this instant?" for many instants within [from, to): the opening intervals of
 * the period are worked out once (a few time-zone conversions per day), then each instant is a
 * binary search. Used by statistics, which classify thousands of instants.
 */
export function openTest(from: number, to: number, s: Schedule): (instant: number) => boolean {
  const intervals = intervalsAround(from, to, s)
  return (instant) => {
    let lo = 0
    let hi = intervals.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const [start, end] = intervals[mid]!
      if (instant < start) hi = mid - 1
      else if (instant >= end) lo = mid + 1
      else return true
    }
    return false
  }
}
