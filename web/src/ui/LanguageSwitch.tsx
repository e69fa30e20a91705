import { useTranslation } from 'react-i18next'
import { LANGUAGES, setLanguage } from '../i18n'

export function LanguageSwitch() {
  const { t, i18n } = useTranslation()
  return (
    <label className="language">
      <span aria-hidden="true">{t('app.language')}</span>
      <select aria-label={t('app.language')} value={i18n.language} onChange={(e) => setLanguage(e.target.value as (typeof LANGUAGES)[number])}>
        <option value="de">Deutsch</option>
        <option value="en">English</option>
      </select>
    </label>
  )
}
