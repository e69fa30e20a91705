/**
 * German public holidays: the nine federal ones and those of each state (Bundesland), by ISO
 * 3166-2 code. Holidays that only some municipalities keep (Mariä Himmelfahrt in Catholic parts
 * of Bavaria, Fronleichnam in parts of Saxony and Thuringia, the Augsburger Friedensfest) are
 * left out: a company there adds them as its own closures.
 */
export const REGIONS = ['DE', 'DE-BW', 'DE-BY', 'DE-BE', 'DE-BB', 'DE-HB', 'DE-HH', 'DE-HE', 'DE-MV', 'DE-NI', 'DE-NW', 'DE-RP', 'DE-SL', 'DE-SN', 'DE-ST', 'DE-SH', 'DE-TH'] as const
export type Region = (typeof REGIONS)[number]

export type Holiday = { date: string; name: string }

type Rule = {
  name: string
  /** Day of the year: a fixed month-day, or days after Easter Sunday. */
  at: { month: number; day: number } | { easter: number } | 'repentance'
  /** States that keep it; all of Germany when absent. */
  states?: readonly string[]
  since?: number
}

const RULES: readonly Rule[] = [
  { name: 'Neujahr', at: { month: 1, day: 1 } },
  { name: 'Heilige Drei Könige', at: { month: 1, day: 6 }, states: ['BW', 'BY', 'ST'] },
  { name: 'Internationaler Frauentag', at: { month: 3, day: 8 }, states: ['BE'], since: 2019 },
  { name: 'Internationaler Frauentag', at: { month: 3, day: 8 }, states: ['MV'], since: 2023 },
  { name: 'Karfreitag', at: { easter: -2 } },
  { name: 'Ostersonntag', at: { easter: 0 }, states: ['BB'] },
  { name: 'Ostermontag', at: { easter: 1 } },
  { name: 'Tag der Arbeit', at: { month: 5, day: 1 } },
  { name: 'Christi Himmelfahrt', at: { easter: 39 } },
  { name: 'Pfingstsonntag', at: { easter: 49 }, states: ['BB'] },
  { name: 'Pfingstmontag', at: { easter: 50 } },
  { name: 'Fronleichnam', at: { easter: 60 }, states: ['BW', 'BY', 'HE', 'NW', 'RP', 'SL'] },
  { name: 'Mariä Himmelfahrt', at: { month: 8, day: 15 }, states: ['SL'] },
  { name: 'Weltkindertag', at: { month: 9, day: 20 }, states: ['TH'], since: 2019 },
  { name: 'Tag der Deutschen Einheit', at: { month: 10, day: 3 } },
  { name: 'Reformationstag', at: { month: 10, day: 31 }, states: ['BB', 'MV', 'SN', 'ST', 'TH'] },
  // Made permanent in the northern states from 2018 (it was a one-off nationwide in 2017).
  { name: 'Reformationstag', at: { month: 10, day: 31 }, states: ['HB', 'HH', 'NI', 'SH'], since: 2018 },
  { name: 'Allerheiligen', at: { month: 11, day: 1 }, states: ['BW', 'BY', 'NW', 'RP', 'SL'] },
  { name: 'Buß- und Bettag', at: 'repentance', states: ['SN'] },
  { name: '1. Weihnachtstag', at: { month: 12, day: 25 } },
  { name: '2. Weihnachtstag', at: { month: 12, day: 26 } },
]

/** Easter Sunday of the Gregorian calendar (anonymous Gregorian algorithm), as a UTC midnight. */
export function easterSunday(year: number): Date {
  const a = year % 19
  const b = Math.floor(year / 100)
  const c = year % 100
  const d = Math.floor(b / 4)
  const e = b % 4
  const f = Math.floor((b + 8) / 25)
  const g = Math.floor((b - f + 1) / 3)
  const h = (19 * a + b - d - g + 15) % 30
  const i = Math.floor(c / 4)
  const k = c % 4
  const l = (32 + 2 * e + 2 * i - h - k) % 7
  const m = Math.floor((a + 11 * h + 22 * l) / 451)
  const month = Math.floor((h + l - 7 * m + 114) / 31)
  const day = ((h + l - 7 * m + 114) % 31) + 1
  return new Date(Date.UTC(year, month - 1, day))
}

const DAY = 86_400_000
const isoDate = (d: Date) => d.toISOString().slice(0, 10)

function dateOf(rule: Rule, year: number): string {
  if (rule.at === 'repentance') {
    // The Wednesday before 23 November: the last Wednesday on or before 22 November.
    const nov22 = new Date(Date.UTC(year, 10, 22))
    return isoDate(new Date(nov22.getTime() - ((nov22.getUTCDay() - 3 + 7) % 7) * DAY))
  }
  if ('easter' in rule.at) return isoDate(new Date(easterSunday(year).getTime() + rule.at.easter * DAY))
  return isoDate(new Date(Date.UTC(year, rule.at.month - 1, rule.at.day)))
}

/** The public holidays of a year in a region (`DE` = the federal ones only), by date. */
export function holidaysOf(year: number, region: Region): Holiday[] {
  const state = region === 'DE' ? undefined : region.slice(3)
  return RULES.filter((r) => (!r.states || (state !== undefined && r.states.includes(state))) && (r.since === undefined || year >= r.since))
    .map((r) => ({ date: dateOf(r, year), name: r.name }))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))
}

const cache = new Map<string, Map<string, string>>()

/** The holiday's name on a local date (`YYYY-MM-DD`) in the region, or undefined. */
export function holidayOn(date: string, region: Region): string | undefined {
  const key = `${date.slice(0, 4)}/${region}`
  let byDate = cache.get(key)
  if (!byDate) {
    byDate = new Map(holidaysOf(Number(date.slice(0, 4)), region).map((h) => [h.date, h.name]))
    cache.set(key, byDate)
  }
  return byDate.get(date)
}
