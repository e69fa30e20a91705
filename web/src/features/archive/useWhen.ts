import { useTranslation } from 'react-i18next'

/** Formats an instant for the current language (date and time, medium). */
export const useWhen = () => {
  const { i18n } = useTranslation()
  return (iso: string) => new Date(iso).toLocaleString(i18n.language === 'en' ? 'en-GB' : 'de-DE', { dateStyle: 'medium', timeStyle: 'short' })
}
