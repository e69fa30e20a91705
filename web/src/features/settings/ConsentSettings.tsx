import { type FormEvent, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError } from '../../app/api'
import { ErrorLine, useList } from './useList'
import { PurposeOptions } from '../../ui/Options'

type Purpose = { key: string; label: { de: string; en: string } }
type Keywords = { stop: string[]; start: string[]; confirm: string[] }
type ImportResult = { imported: number; skipped: Record<string, number>; expiresAt: string }
const LISTS = ['stop', 'start', 'confirm'] as const
const words = (text: string) => text.split(/[,\n]/).map((w) => w.trim()).filter(Boolean)

/** Consent purposes, the customers' keywords, and importing sign-ups collected elsewhere. */
export function ConsentSettings() {
  const { t, i18n } = useTranslation()
  const { items: purposes, error, act } = useList<Purpose>('/api/consent/purposes')
  const [keywords, setKeywords] = useState<Keywords | null>(null)
  const [message, setMessage] = useState<string | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [formKey, setFormKey] = useState(0)
  useEffect(() => void api<Keywords>('GET', '/api/consent/keywords').then(setKeywords, (e) => setProblem(describeError(e))), [])

  async function run(call: () => Promise<string>) {
    setMessage(null)
    setProblem(null)
    try {
      setMessage(await call())
    } catch (e) {
      setProblem(describeError(e))
    }
  }

  async function addPurpose(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    if (await act(() => api('POST', '/api/consent/purposes', { key: f.get('key'), label: { de: f.get('de'), en: f.get('en') } }))) setFormKey((k) => k + 1)
  }

  function saveKeywords(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    void run(async () => {
      setKeywords(await api<Keywords>('PUT', '/api/consent/keywords', Object.fromEntries(LISTS.map((l) => [l, words(String(f.get(l) ?? ''))]))))
      return t('settings.saved')
    })
  }

  function importList(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const reference = String(f.get('reference') ?? '').trim()
    void run(async () => {
      const r = await api<ImportResult>('POST', '/api/consent/import', {
        purpose: f.get('purpose'),
        text: f.get('text'),
        provenance: { description: f.get('description'), ...(reference ? { reference } : {}) },
        entries: String(f.get('numbers') ?? '').split('\n').map((p) => p.trim()).filter(Boolean).map((phone) => ({ phone })),
      })
      return t('settings.consent.importResult', { imported: r.imported, skipped: Object.values(r.skipped).reduce((a, b) => a + b, 0), suppressed: r.skipped.suppressed ?? 0 })
    })
  }

  return (
    <section aria-labelledby="consent-settings-title">
      <h2 id="consent-settings-title">{t('settings.consent.title')}</h2>
      <h3>{t('settings.consent.purposes')}</h3>
      <ul className="plain-list">
        {purposes.map((p) => (
          <li key={p.key}>
            <strong>{i18n.language === 'en' ? p.label.en : p.label.de}</strong> <code className="small">{p.key}</code> ·{' '}
            <a href={`/optin/${p.key}`} target="_blank" rel="noopener">{`/optin/${p.key}`}</a>
          </li>
        ))}
      </ul>
      <form key={formKey} className="card-form inline" onSubmit={addPurpose} aria-label={t('settings.consent.addPurpose')}>
        <label>
          {t('settings.consent.key')}
          <input name="key" required pattern="[a-z][a-z0-9_\-]{1,39}" maxLength={40} />
        </label>
        <label>
          {t('settings.consent.labelDe')}
          <input name="de" required minLength={2} maxLength={100} />
        </label>
        <label>
          {t('settings.consent.labelEn')}
          <input name="en" required minLength={2} maxLength={100} />
        </label>
        <button type="submit">{t('settings.consent.addPurpose')}</button>
      </form>
      <ErrorLine error={error} />

      {keywords && (
        <form className="card-form" onSubmit={saveKeywords} aria-label={t('settings.consent.keywords')}>
          <h3>{t('settings.consent.keywords')}</h3>
          <p className="muted small">{t('settings.consent.keywordsHint')}</p>
          {LISTS.map((l) => (
            <label key={l}>
              {t(`settings.consent.list.${l}`)}
              <input name={l} required defaultValue={keywords[l].join(', ')} />
            </label>
          ))}
          <button type="submit">{t('settings.save')}</button>
        </form>
      )}

      <form className="card-form" onSubmit={importList} aria-label={t('settings.consent.import')}>
        <h3>{t('settings.consent.import')}</h3>
        <p className="muted small">{t('settings.consent.importHint')}</p>
        <label>
          {t('settings.consent.purpose')}
          <select aria-label={t('settings.consent.purpose')} name="purpose">
            <PurposeOptions purposes={purposes} />
          </select>
        </label>
        <label>
          {t('settings.consent.text')}
          <textarea name="text" required minLength={20} maxLength={2000} />
        </label>
        <label>
          {t('settings.consent.description')}
          <input name="description" required minLength={10} maxLength={1000} />
        </label>
        <label>
          {t('settings.consent.reference')}
          <input name="reference" maxLength={500} />
        </label>
        <label>
          {t('settings.consent.numbers')}
          <textarea name="numbers" required rows={5} />
        </label>
        <button type="submit">{t('settings.consent.importButton')}</button>
      </form>
      {message && <p role="status" className="ok">{message}</p>}
      <ErrorLine error={problem} />
    </section>
  )
}
