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
    const f = new FormData(e.currentTarget)
    const get = (k: string) => String(f.get(k) ?? '').trim()
    const email = get('companyEmail')
    try {
      await api('PUT', '/api/settings', {
        crmUrlTemplate: get('crm') || null,
        signWithName: f.get('signWithName') === 'on',
        ...(get('companyName') ? { company: { name: get('companyName'), address: get('companyAddress'), ...(email ? { email } : {}) } } : {}),
        ...(get('noticeUrl') ? { privacyNotice: { url: get('noticeUrl'), version: get('noticeVersion') } } : {}),
      })
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
        <label className="check">
          <input type="checkbox" name="signWithName" defaultChecked={settings.signWithName} /> {t('settings.general.signWithName')}
        </label>
        <p className="muted small">{t('settings.general.signWithNameHint')}</p>
        <fieldset>
          <legend>{t('settings.general.company')}</legend>
          <p className="muted small">{t('settings.general.companyHint')}</p>
          <label>
            {t('settings.general.companyName')}
            <input name="companyName" maxLength={200} defaultValue={settings.company?.name ?? ''} />
          </label>
          <label>
            {t('settings.general.companyAddress')}
            <input name="companyAddress" maxLength={500} defaultValue={settings.company?.address ?? ''} />
          </label>
          <label>
            {t('login.email')}
            <input name="companyEmail" type="email" maxLength={320} defaultValue={settings.company?.email ?? ''} />
          </label>
        </fieldset>
        <fieldset>
          <legend>{t('settings.general.notice')}</legend>
          <label>
            {t('settings.general.noticeUrl')}
            <input name="noticeUrl" type="url" maxLength={500} defaultValue={settings.privacyNotice?.url ?? ''} placeholder={t('settings.general.noticeUrlPlaceholder')} />
          </label>
          <label>
            {t('settings.general.noticeVersion')}
            <input name="noticeVersion" maxLength={40} defaultValue={settings.privacyNotice?.version ?? ''} placeholder="2026-11" />
          </label>
        </fieldset>
        <p className="muted small">
          {t('settings.general.optinLinks')} {['marketing', 'reviews'].map((p) => (
            <a key={p} href={`/optin/${p}`} target="_blank" rel="noopener">
              {`/optin/${p}`}{' '}
            </a>
          ))}
        </p>
        <button type="submit">{t('settings.save')}</button>
        {saved && <p role="status" className="ok">{t('settings.saved')}</p>}
        <ErrorLine error={error} />
      </form>
    </section>
  )
}
