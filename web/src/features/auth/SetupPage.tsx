import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, ApiError, type User } from '../../app/api'
import { LanguageSwitch } from '../../ui/LanguageSwitch'

/** First start: create the administrator with the one-time link from the server console. */
export function SetupPage({ onDone }: { onDone: (s: { user: User; csrfToken: string }) => void }) {
  const { t } = useTranslation()
  const [error, setError] = useState<string | null>(null)
  const token = new URLSearchParams(window.location.search).get('token') ?? ''

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    if (form.get('password') !== form.get('repeat')) return setError(t('setup.mismatch'))
    try {
      const session = await api<{ user: User; csrfToken: string }>('POST', '/api/setup', {
        token,
        name: String(form.get('name')),
        email: String(form.get('email')),
        password: String(form.get('password')),
      })
      window.history.replaceState(null, '', '/')
      onDone(session)
    } catch (err) {
      setError(err instanceof ApiError && err.status === 403 ? t('setup.badToken') : err instanceof Error ? err.message : String(err))
    }
  }

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-labelledby="setup-title">
        <h1 id="setup-title">{t('setup.title')}</h1>
        <p className="muted">{t('setup.intro')}</p>
        {!token && <p className="error">{t('setup.noToken')}</p>}
        <label>
          {t('setup.name')}
          <input name="name" required autoComplete="name" />
        </label>
        <label>
          {t('login.email')}
          <input name="email" type="email" required autoComplete="username" />
        </label>
        <label>
          {t('login.password')}
          <input name="password" type="password" required minLength={12} autoComplete="new-password" aria-describedby="password-hint" />
        </label>
        <p id="password-hint" className="muted small">
          {t('setup.passwordHint')}
        </p>
        <label>
          {t('setup.repeat')}
          <input name="repeat" type="password" required minLength={12} autoComplete="new-password" />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={!token}>
          {t('setup.submit')}
        </button>
        <LanguageSwitch />
      </form>
    </main>
  )
}
