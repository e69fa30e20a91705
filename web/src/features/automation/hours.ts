/** The week as the settings form edits it: one line per day, `09:00–12:00, 13:00–17:00`. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]
export type Interval = { from: string; to: string }
export type Closure = { date: string; to?: string; name: string }

export type Automation = {
  timezone: string
  openingHours: Record<Weekday, Interval[]>
  holidays: { region: string | null; custom: Closure[] }
  greeting: { enabled: boolean; text: string; afterSilenceDays: number; repeatAfterHours: number }
  away: { enabled: boolean; text: string; repeatAfterHours: number }
}

export const formatDay = (intervals: Interval[]) => intervals.map((i) => `${i.from}–${i.to}`).join(', ')

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
const pad = (t: string) => (t.length === 4 ? `0${t}` : t)

/** Parses one day's line; the error names what is wrong (as an i18n key with values). */
export function parseDay(line: string): { intervals: Interval[] } | { error: string; values: Record<string, string> } {
  const parts = line.split(',').map((p) => p.trim()).filter(Boolean)
  const intervals: Interval[] = []
  for (const part of parts) {
    const m = /^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$/.exec(part)
    if (!m) return { error: 'automation.errors.format', values: { part } }
    const [from, to] = [pad(m[1]!), pad(m[2]!)]
    if (minutes(from) >= minutes(to)) return { error: 'automation.errors.inverted', values: { part } }
    intervals.push({ from, to })
  }
  intervals.sort((a, b) => minutes(a.from) - minutes(b.from))
  for (let k = 1; k < intervals.length; k++) {
    if (minutes(intervals[k]!.from) < minutes(intervals[k - 1]!.to)) return { error: 'automation.errors.overlap', values: { part: formatDay([intervals[k - 1]!, intervals[k]!]) } }
  }
  return { intervals }
}

/** Closures, one per line: `2026-12-24 Heiligabend` or `2026-12-31..2027-01-02 Jahreswechsel`. */
export function parseClosures(text: string): { closures: Closure[] } | { error: string; values: Record<string, string> } {
  const closures: Closure[] = []
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = /^(\d{4}-\d{2}-\d{2})(?:\s*\.\.\s*(\d{4}-\d{2}-\d{2}))?\s+(.+)$/.exec(line)
    if (!m) return { error: 'automation.errors.closure', values: { part: line } }
    closures.push({ date: m[1]!, ...(m[2] ? { to: m[2] } : {}), name: m[3]! })
  }
  return { closures }
}

export const formatClosures = (closures: Closure[]) => closures.map((c) => `${c.date}${c.to ? `..${c.to}` : ''} ${c.name}`).join('\n')
