import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError } from '../../app/api'
import { useWorkspace } from '../../app/workspace'
import { ErrorLine } from './useList'

/** Workspace-wide settings; for now the CRM link shown in every contact panel. */
export function GeneralSettings() {
  const { t } = useTranslation()
  const { settings, reload } = useWorkspace()
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)

  async function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    setError(null)
    setSaved(false)
    const value = String(new FormData(e.currentTarget).get('crm') ?? '').trim()
    try {
      await api('PUT', '/api/settings', { crmUrlTemplate: value || null })
      await reload()
      setSaved(true)
    } catch (err) {
      setError(describeError(err))
    }
  }

  return (
    <section aria-labelledby="general-title">
      <h2 id="general-title">{t('settings.general.title')}</h2>
      <form className="card-form" onSubmit={save}>
        <label>
          {t('settings.general.crm')}
          <input name="crm" type="url" maxLength={500} defaultValue={settings.crmUrlTemplate ?? ''} placeholder="https://crm.example/contacts?phone={{phone}}" />
        </label>
        <p className="muted small">{t('settings.general.crmHint', { vars: '{{phone}}, {{waId}}, {{name}}' })}</p>
        <button type="submit">{t('settings.save')}</button>
        {saved && <p role="status" className="ok">{t('settings.saved')}</p>}
        <ErrorLine error={error} />
      </form>
    </section>
  )
}
