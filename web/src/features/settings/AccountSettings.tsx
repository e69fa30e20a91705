import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError } from '../../app/api'
import { useWorkspace } from '../../app/workspace'
import { EmptyRow, Table, TableHead } from '../../ui/TableHead'
import { formatWhen } from '../inbox/format'
import { TwoFactorSettings } from './TwoFactorSettings'
import { ErrorLine, SaveOutcome, useList } from './useList'

type Session = { id: string; userAgent: string | null; createdAt: string; lastSeenAt: string; current: boolean }

/** A browser as people name it, from its user agent: "Chrome unter Windows". */
export function browserOf(ua: string | null): { browser: string; system: string } | null {
  if (!ua) return null
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /(Chrome|Chromium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : null
  const system = /iPhone|iPad/.test(ua) ? 'iOS' : /Android/.test(ua) ? 'Android' : /Windows/.test(ua) ? 'Windows' : /Mac OS X|Macintosh/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null
  return browser && system ? { browser, system } : null
}

/** My own account: who I am here, my password (the admin's initial one is meant to be replaced), two-factor login, where I am signed in. */
export function AccountSettings() {
  const { t } = useTranslation()
  const { user } = useWorkspace()
  const [formKey, setFormKey] = useState(0)
  const [sessionsKey, setSessionsKey] = useState(0)
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)
  const [busy, setBusy] = useState(false)

  async function change(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    setSaved(false)
    setError(null)
    if (f.get('newPassword') !== f.get('repeat')) return setError(t('settings.account.mismatch'))
    setBusy(true)
    try {
      await api('POST', '/api/auth/password', { currentPassword: f.get('currentPassword'), newPassword: f.get('newPassword') })
      setSaved(true)
      setFormKey((k) => k + 1)
    } catch (err) {
      setError(describeError(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section aria-labelledby="account-title">
      <h2 id="account-title">{t('settings.account.title')}</h2>
      <dl className="facts">
        <dt>{t('settings.users.name')}</dt>
        <dd>{user.name}</dd>
        <dt>{t('settings.account.email')}</dt>
        <dd>{user.email}</dd>
        <dt>{t('settings.users.role')}</dt>
        <dd>{t(`role.${user.role}`)}</dd>
      </dl>
      <form key={formKey} className="card-form" onSubmit={change} aria-label={t('settings.account.change')}>
        <h3>{t('settings.account.change')}</h3>
        <p className="muted small">{t('settings.account.hint')}</p>
        <label>
          {t('settings.account.current')}
          <input name="currentPassword" type="password" autoComplete="current-password" required maxLength={1024} />
        </label>
        <label>
          {t('settings.account.new')}
          <input name="newPassword" type="password" autoComplete="new-password" required minLength={12} maxLength={1024} />
        </label>
        <label>
          {t('settings.account.repeat')}
          <input name="repeat" type="password" autoComplete="new-password" required minLength={12} maxLength={1024} />
        </label>
        <button type="submit" disabled={busy}>
          {t('settings.account.save')}
        </button>
        <SaveOutcome saved={saved ? t('settings.account.saved') : null} error={error} />
      </form>
      <TwoFactorSettings email={user.email} onOthersSignedOut={() => setSessionsKey((k) => k + 1)} />
      <SessionList key={`sessions-${formKey}-${sessionsKey}`} />
    </section>
  )
}

/** The browsers I am signed in with; any but this one can be signed out from here. */
function SessionList() {
  const { t } = useTranslation()
  const { items, loaded, error, act } = useList<Session>('/api/auth/sessions')
  const name = (s: Session) => {
    const b = browserOf(s.userAgent)
    return b ? t('settings.account.browserOn', b) : t('settings.account.unknownBrowser')
  }
  return (
    <>
      <h3>{t('settings.account.sessions')}</h3>
      <Table className="table">
        <TableHead columns={[t('settings.account.browser'), t('settings.account.since'), t('settings.account.lastUse')]} actions />
        <tbody>
          {loaded && items.length === 0 && <EmptyRow columns={4}>{t('settings.account.noSessions')}</EmptyRow>}
          {[...items].sort((a, b) => Number(b.current) - Number(a.current)).map((s) => (
            <tr key={s.id}>
              <td title={s.userAgent ?? undefined}>{name(s)}</td>
              <td>{formatWhen(s.createdAt)}</td>
              <td>{formatWhen(s.lastSeenAt)}</td>
              <td>
                {s.current ? (
                  <span className="muted">{t('settings.account.thisBrowser')}</span>
                ) : (
                  <button type="button" onClick={() => void act(() => api('DELETE', `/api/auth/sessions/${s.id}`))} aria-label={t('settings.account.signOutNamed', { name: name(s) })}>
                    {t('settings.account.signOut')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
      {items.some((s) => !s.current) && (
        <div className="row-actions">
          <button type="button" onClick={() => void act(() => api('DELETE', '/api/auth/sessions'))}>
            {t('settings.account.signOutOthers')}
          </button>
        </div>
      )}
      <ErrorLine error={error} />
    </>
  )
}
