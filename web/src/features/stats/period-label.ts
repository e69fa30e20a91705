import type { TFunction } from 'i18next'

export type Bucket = 'day' | 'week' | 'month'

/** ISO 8601 week number of a date (the week with the year's first Thursday is week 1). */
function isoWeek(d: Date): number {
  // The Thursday of d's week decides the year; count weeks from that year's 1 January.
  const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 4 - (d.getUTCDay() || 7)))
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1)
  return Math.ceil(((thursday.getTime() - yearStart) / 86_400_000 + 1) / 7)
}

/**
 * A period of the statistics as people read it: the API names it by its first day (YYYY-MM-DD, a
 * day of the workspace), the page says „Di., 01.12.“, „KW 49 (ab 30.11.)“ or „Dezember 2026“.
 * The CSV keeps the ISO date, for spreadsheets.
 */
export function periodLabel(period: string, bucket: Bucket, t: TFunction, language: string): string {
  const date = new Date(`${period}T00:00:00Z`)
  if (Number.isNaN(date.getTime())) return period
  const locale = language === 'en' ? 'en-GB' : 'de-DE'
  const format = (o: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(locale, { ...o, timeZone: 'UTC' }).format(date)
  if (bucket === 'month') return format({ month: 'long', year: 'numeric' })
  if (bucket === 'week') return t('stats.weekLabel', { week: isoWeek(date), from: format({ day: '2-digit', month: '2-digit' }) })
  return format({ weekday: 'short', day: '2-digit', month: '2-digit' })
}
