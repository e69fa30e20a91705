/**
 * Deadlines of the data-protection workflow, as calendar dates in the company's time zone.
 *
 * Art. 12(3) GDPR: one month from receipt, extendable by two further months. A period in months
 * ends on the same date of the later month, or on that month's last day when it has no such date
 * (EU Regulation 1182/71, Art. 3(2)(c)): 15 Mar → 15 Apr, 31 Jan → 28 Feb (29 in a leap year).
 */
export const DSR_MONTHS = 1
export const DSR_MAX_EXTENSION_MONTHS = 2
export const BREACH_NOTIFY_HOURS = 72
export const TIME_ZONE = 'Europe/Berlin'

const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/

/** The calendar date (YYYY-MM-DD) of an instant in the given time zone. */
export function localDate(iso: string, timeZone = TIME_ZONE): string {
  let format = dateFormats.get(timeZone)
  if (!format) dateFormats.set(timeZone, (format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })))
  return format.format(new Date(iso))
}
/**
 * The calendar year of an instant in the given time zone. Called for every message sealed: away
 * from New Year's Eve and Day every time zone (all within ±14 h) shares the UTC year, which needs
 * no formatting.
 */
export function localYear(iso: string, timeZone = TIME_ZONE): string {
  const monthDay = iso.slice(5, 10)
  return iso.endsWith('Z') && monthDay > '01-01' && monthDay < '12-31' ? iso.slice(0, 4) : localDate(iso, timeZone).slice(0, 4)
}
/** Making a DateTimeFormat costs far more than using one: one per time zone, kept. */
const dateFormats = new Map<string, Intl.DateTimeFormat>()

export function addMonths(date: string, months: number): string {
  const m = dateOnly.exec(date)
  if (!m) throw new Error(`not a date: ${date}`)
  const year = Number(m[1])
  const monthIndex = Number(m[2]) - 1 + months
  const targetYear = year + Math.floor(monthIndex / 12)
  const targetMonth = ((monthIndex % 12) + 12) % 12
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate()
  const day = Math.min(Number(m[3]), lastDay)
  return `${targetYear}-${String(targetMonth + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}

/** Due date of a request received at `receivedAt` (the whole due day counts). */
export const dsrDueDate = (receivedAt: string): string => addMonths(localDate(receivedAt), DSR_MONTHS)

/** The latest date an extension may reach: two further months after the first deadline. */
export const dsrLatestExtension = (receivedAt: string): string => addMonths(localDate(receivedAt), DSR_MONTHS + DSR_MAX_EXTENSION_MONTHS)

/** Whole days from `today` to `due` (negative: overdue). */
export function daysUntil(due: string, today: string): number {
  return Math.round((Date.parse(`${due}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000)
}

export const breachDueAt = (awareAt: string): string => new Date(Date.parse(awareAt) + BREACH_NOTIFY_HOURS * 3_600_000).toISOString()
