import i18n from '../../i18n'

const locale = () => (i18n.language === 'en' ? 'en-GB' : 'de-DE')

export const formatTime = (iso: string) => new Date(iso).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' })

export function formatWhen(iso: string): string {
  const d = new Date(iso)
  const today = new Date()
  return d.toDateString() === today.toDateString() ? formatTime(iso) : d.toLocaleDateString(locale(), { day: '2-digit', month: '2-digit', year: '2-digit' })
}

/** A moment in the next days: the time today, else weekday and time ("Di., 14:30"). */
export function formatUntil(iso: string): string {
  const d = new Date(iso)
  if (d.toDateString() === new Date().toDateString()) return formatTime(iso)
  return d.toLocaleString(locale(), { weekday: 'short', hour: '2-digit', minute: '2-digit' })
}

/** A phone number as people read it: +49 151 12345678 (digits only, as WhatsApp gives them). */
export const formatNumber = (waId: string | null) => (waId ? `+${waId}` : '')

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
  return d.toLocaleDateString(locale(), { weekday: 'short', day: '2-digit', month: '2-digit', year: 'numeric' })
}
