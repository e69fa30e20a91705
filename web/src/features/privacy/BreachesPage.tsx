import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../../app/api'
import { ErrorLine, useList } from '../settings/useList'

type Breach = {
  id: string
  title: string
  source: string
  awareAt: string
  dueAt: string
  hoursLeft: number | null
  overdue: boolean
  risk: string
  notifiedAuthorityAt: string | null
  lateReason: string | null
  updates: { text: string; createdAt: string }[]
}

/** One incident: the 72-hour countdown, its phases, and the notification to the authority. */
function BreachItem({ b, act }: { b: Breach; act: (call: () => Promise<unknown>) => Promise<unknown> }) {
  const { t, i18n } = useTranslation()
  const when = (iso: string) => new Date(iso).toLocaleString(i18n.language === 'en' ? 'en-GB' : 'de-DE', { dateStyle: 'medium', timeStyle: 'short' })
  const [updateKey, setUpdateKey] = useState(0)
  async function addUpdate(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    if (await act(() => api('PATCH', `/api/privacy/breaches/${b.id}`, { update: new FormData(e.currentTarget).get('update') }))) setUpdateKey((k) => k + 1)
  }
  async function notified(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const lateReason = String(f.get('lateReason') ?? '').trim()
    await act(() => api('POST', `/api/privacy/breaches/${b.id}/notified`, { subjects: f.get('subjects') === 'on', ...(lateReason ? { lateReason } : {}) }))
  }
  return (
    <li className={`card ${b.overdue ? 'overdue' : ''}`}>
      <h3>{b.title}</h3>
      <p className="small">
        {t('privacy.breaches.aware', { at: when(b.awareAt) })} · {t('privacy.breaches.due', { at: when(b.dueAt) })}{' '}
        {b.hoursLeft !== null && <span className={b.overdue ? 'badge-danger' : 'badge'}>{b.overdue ? t('privacy.breaches.overdue') : t('privacy.breaches.hoursLeft', { count: Math.floor(b.hoursLeft) })}</span>}
        {b.notifiedAuthorityAt && <span className="ok"> {t('privacy.breaches.notifiedAt', { at: when(b.notifiedAuthorityAt) })}</span>}
        {b.source !== 'manual' && <span className="badge"> {t(`privacy.breaches.source.${b.source}`, { defaultValue: b.source })}</span>}
      </p>
      {b.updates.length > 0 && (
        <ol className="small">
          {b.updates.map((u) => (
            <li key={u.createdAt}>
              {when(u.createdAt)}: {u.text}
            </li>
          ))}
        </ol>
      )}
      <form key={updateKey} className="card-form inline" onSubmit={addUpdate} aria-label={t('privacy.breaches.addUpdateTo', { title: b.title })}>
        <label>
          {t('privacy.breaches.update')}
          <input name="update" required minLength={3} maxLength={5000} />
        </label>
        <button type="submit">{t('privacy.breaches.addUpdate')}</button>
      </form>
      {!b.notifiedAuthorityAt && (
        <form className="card-form inline" onSubmit={notified} aria-label={t('privacy.breaches.markNotifiedFor', { title: b.title })}>
          {b.overdue && (
            <label>
              {t('privacy.breaches.lateReason')}
              <input name="lateReason" required minLength={10} maxLength={2000} />
            </label>
          )}
          <label className="inline-check">
            <input type="checkbox" name="subjects" /> {t('privacy.breaches.subjectsToo')}
          </label>
          <button type="submit">{t('privacy.breaches.markNotified')}</button>
        </form>
      )}
    </li>
  )
}

/** The breach register (Art. 33(5)): every incident, with the 72 hours from awareness counted down. */
export function BreachesPage() {
  const { t } = useTranslation()
  const { items, error, act } = useList<Breach>('/api/privacy/breaches')
  const [formKey, setFormKey] = useState(0)
  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const aware = String(f.get('awareAt') ?? '')
    if (await act(() => api('POST', '/api/privacy/breaches', { title: f.get('title'), ...(aware ? { awareAt: new Date(aware).toISOString() } : {}) }))) setFormKey((k) => k + 1)
  }
  return (
    <section aria-labelledby="breaches-title">
      <h2 id="breaches-title">{t('settings.breaches.title')}</h2>
      <p className="muted small">{t('privacy.breaches.intro')}</p>
      {items.some((b) => b.overdue) && (
        <p role="alert" className="error">
          {t('privacy.breaches.overdueWarning')}
        </p>
      )}
      {items.length === 0 ? <p className="empty">{t('privacy.breaches.none')}</p> : <ul className="plain-list">{items.map((b) => <BreachItem key={b.id} b={b} act={act} />)}</ul>}
      <form key={formKey} className="card-form" onSubmit={create} aria-label={t('privacy.breaches.create')}>
        <h3>{t('privacy.breaches.create')}</h3>
        <label>
          {t('privacy.breaches.titleField')}
          <input name="title" required minLength={3} maxLength={200} />
        </label>
        <label>
          {t('privacy.breaches.awareAt')}
          <input name="awareAt" type="datetime-local" />
        </label>
        <button type="submit">{t('privacy.breaches.createButton')}</button>
      </form>
      <ErrorLine error={error} />
    </section>
  )
}
