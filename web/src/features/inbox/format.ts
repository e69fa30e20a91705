import i18n from '../../i18n'

const locale = () => (i18n.language === 'en' ? 'en-GB' : 'de-DE')

// Building an Intl formatter is the expensive part (every toLocale…String builds one): keep them.
const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale()}|${JSON.stringify(options)}`
  let f = formatters.get(key)
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(locale(), options)))
  return f
}

/** A calendar date (YYYY-MM-DD, a day not an instant) as people write it: 31.12.2032. */
export function formatDate(date: string): string {
  const d = new Date(`${date.slice(0, 10)}T00:00:00Z`)
  return Number.isNaN(d.getTime()) ? date : formatter({ day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' }).format(d)
}

export const formatTime = (iso: string) => formatter({ hour: '2-digit', minute: '2-digit' }).format(new Date(iso))

export function formatWhen(iso: string): string {
  const d = new Date(iso)
  const today = new Date()
  return d.toDateString() === today.toDateString() ? formatTime(iso) : formatter({ day: '2-digit', month: '2-digit', year: '2-digit' }).format(d)
}

/** A moment in the next days: the time today, else weekday and time ("Di., 14:30"). */
export function formatUntil(iso: string): string {
  const d = new Date(iso)
  if (d.toDateString() === new Date().toDateString()) return formatTime(iso)
  return formatter({ weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(d)
}

/** A moment days or months ahead (a reminder): the time today, else weekday, date and time ("Do., 03.12., 09:00"). */
export function formatMoment(iso: string): string {
  const d = new Date(iso)
  if (d.toDateString() === new Date().toDateString()) return formatTime(iso)
  const year = d.getFullYear() === new Date().getFullYear() ? {} : { year: '2-digit' as const }
  return formatter({ weekday: 'short', day: '2-digit', month: '2-digit', ...year, hour: '2-digit', minute: '2-digit' }).format(d)
}

/** A phone number as people read it: +49 151 12345678 (digits only, as WhatsApp gives them). */
export const formatNumber = (waId: string | null) => (waId ? `+${waId}` : '')
/** A number as lists show it by default (GDPR-25): enough to tell numbers apart, not to call them. */
export const maskNumber = (waId: string | null) => (waId ? `+${waId.slice(0, 4)} ••• ${waId.slice(-3)}` : '')

/** Bytes as people read them: 1,2 MB. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB']
  let n = bytes
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${n.toLocaleString(locale(), { maximumFractionDigits: i === 0 ? 0 : 1 })} ${units[i]}`
}

/** The local day a moment belongs to (for the separators in the chat). */
export const dayKey = (iso: string): string => new Date(iso).toDateString()

/** A day separator's text: "Heute", "Gestern" or "Mo., 23.11.2026". */
export function formatDay(iso: string): string {
  const d = new Date(iso)
  const today = new Date()
  const yesterday = new Date(today.getTime() - 86_400_000)
  if (d.toDateString() === today.toDateString()) return i18n.t('day.today')
  if (d.toDateString() === yesterday.toDateString()) return i18n.t('day.yesterday')
  return formatter({ weekday: 'short', day: '2-digit', month: '2-digit', year: 'numeric' }).format(d)
}
