import { type FormEvent, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError, type Page } from '../../app/api'
import { useWorkspace } from '../../app/workspace'
import { ErrorLine } from '../settings/useList'

type Retention = { defaultClass: string; handelsbriefYears: number; buchungsbelegYears: number; buchYears: number; marketingDays: number; consentEvidenceYears: number; notesMonths: number; auditYears: number }
type PrivacySettings = { retention: Retention; metaStorage: 'default' | 'local-eu' | 'no-storage'; strictEu: boolean; dpo: { name: string; email: string; address?: string } | null; teamAccess: { agentVisibility: 'assigned' | 'all'; maskNumbersInLists: boolean } }
type Version = { version: number; createdAt: string }

const RETENTION_FIELDS: { key: Exclude<keyof Retention, 'defaultClass'>; min: number }[] = [
  { key: 'handelsbriefYears', min: 6 },
  { key: 'buchungsbelegYears', min: 8 },
  { key: 'buchYears', min: 10 },
  { key: 'marketingDays', min: 0 },
  { key: 'consentEvidenceYears', min: 1 },
  { key: 'notesMonths', min: 1 },
  { key: 'auditYears', min: 1 },
]

/** The Art. 30 record (generated, versioned) and the privacy settings it is generated from. */
export function RecordPage() {
  const { t, i18n } = useTranslation()
  const { user, reload } = useWorkspace()
  const [settings, setSettings] = useState<PrivacySettings | null>(null)
  const [versions, setVersions] = useState<Version[]>([])
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)
  const load = () =>
    Promise.all([api<PrivacySettings>('GET', '/api/privacy/settings'), api<Page<Version>>('GET', '/api/privacy/processing-record/versions')]).then(
      ([s, v]) => {
        setSettings(s)
        setVersions(v.items)
      },
      (e) => setError(describeError(e)),
    )
  useEffect(() => void load(), [])

  async function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    setSaved(false)
    setError(null)
    const f = new FormData(e.currentTarget)
    const retention = { defaultClass: f.get('defaultClass'), ...Object.fromEntries(RETENTION_FIELDS.map(({ key }) => [key, Number(f.get(key))])) }
    const dpoName = String(f.get('dpoName') ?? '').trim()
    try {
      const teamAccess = { agentVisibility: f.get('agentVisibility'), maskNumbersInLists: f.get('maskNumbers') === 'on' }
      await api('PUT', '/api/privacy/settings', { retention, metaStorage: f.get('metaStorage'), strictEu: f.get('strictEu') === 'on', dpo: dpoName ? { name: dpoName, email: String(f.get('dpoEmail') ?? '').trim() } : null, teamAccess })
      setSaved(true)
      // The lists follow the masking setting at once.
      await Promise.all([load(), reload()])
    } catch (err) {
      setError(describeError(err))
    }
  }

  return (
    <section aria-labelledby="record-title">
      <h2 id="record-title">{t('settings.record.title')}</h2>
      <p className="muted small">{t('privacy.record.intro')}</p>
      <p>
        <a className="button-link" href="/api/privacy/processing-record" target="_blank" rel="noopener">
          {t('privacy.record.openHtml')}
        </a>{' '}
        <a className="button-link" href="/api/privacy/processing-record?format=pdf" target="_blank" rel="noopener">
          {t('privacy.record.openPdf')}
        </a>
      </p>
      {versions.length > 0 && (
        <p className="small muted">
          {t('privacy.record.versions')}: {versions.map((v) => `v${v.version} (${new Date(v.createdAt).toLocaleDateString(i18n.language === 'en' ? 'en-GB' : 'de-DE')})`).join(', ')}
        </p>
      )}
      {settings && (
        <form className="card-form" onSubmit={save}>
          <fieldset disabled={user.role !== 'admin'}>
            <legend>{t('privacy.record.retention')}</legend>
            <label>
              {t('privacy.record.defaultClass')}
              <select aria-label={t('privacy.record.defaultClass')} name="defaultClass" defaultValue={settings.retention.defaultClass}>
                {['handelsbrief', 'buchungsbeleg', 'buch', 'marketing', 'none'].map((c) => (
                  <option key={c} value={c}>
                    {t(`privacy.class.${c}`)}
                  </option>
                ))}
              </select>
            </label>
            {RETENTION_FIELDS.map(({ key, min }) => (
              <label key={key}>
                {t(`privacy.retention.${key}`)}
                <input name={key} type="number" min={min} max={key === 'marketingDays' ? 3650 : 120} required defaultValue={settings.retention[key]} />
              </label>
            ))}
          </fieldset>
          <fieldset disabled={user.role !== 'admin'}>
            <legend>{t('privacy.record.meta')}</legend>
            <label>
              {t('privacy.record.metaStorage')}
              <select aria-label={t('privacy.record.metaStorage')} name="metaStorage" defaultValue={settings.metaStorage}>
                {(['default', 'local-eu', 'no-storage'] as const).map((m) => (
                  <option key={m} value={m}>
                    {t(`privacy.storage.${m}`)}
                  </option>
                ))}
              </select>
            </label>
            <label className="check">
              <input type="checkbox" name="strictEu" defaultChecked={settings.strictEu} /> {t('privacy.record.strictEu')}
            </label>
          </fieldset>
          <fieldset disabled={user.role !== 'admin'}>
            <legend>{t('privacy.record.team')}</legend>
            <label>
              {t('privacy.record.agentVisibility')}
              <select aria-label={t('privacy.record.agentVisibility')} name="agentVisibility" defaultValue={settings.teamAccess.agentVisibility}>
                {(['assigned', 'all'] as const).map((v) => (
                  <option key={v} value={v}>
                    {t(`privacy.record.visibility.${v}`)}
                  </option>
                ))}
              </select>
            </label>
            <label className="check">
              <input type="checkbox" name="maskNumbers" defaultChecked={settings.teamAccess.maskNumbersInLists} /> {t('privacy.record.maskNumbers')}
            </label>
          </fieldset>
          <fieldset disabled={user.role !== 'admin'}>
            <legend>{t('privacy.record.dpo')}</legend>
            <label>
              {t('privacy.record.dpoName')}
              <input name="dpoName" maxLength={200} defaultValue={settings.dpo?.name ?? ''} />
            </label>
            <label>
              {t('login.email')}
              <input name="dpoEmail" type="email" maxLength={320} defaultValue={settings.dpo?.email ?? ''} />
            </label>
          </fieldset>
          {user.role === 'admin' && <button type="submit">{t('settings.save')}</button>}
          {saved && <p role="status" className="ok">{t('settings.saved')}</p>}
        </form>
      )}
      <ErrorLine error={error} />
    </section>
  )
}
