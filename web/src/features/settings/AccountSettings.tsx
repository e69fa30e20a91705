import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError } from '../../app/api'
import { useWorkspace } from '../../app/workspace'

/** My own account: who I am here, and my password (the admin's initial one is meant to be replaced). */
export function AccountSettings() {
  const { t } = useTranslation()
  const { user } = useWorkspace()
  const [formKey, setFormKey] = useState(0)
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
        {saved && (
          <p role="status" className="ok">
            {t('settings.account.saved')}
          </p>
        )}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
    </section>
  )
}
