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
