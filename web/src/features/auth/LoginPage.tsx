import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, ApiError, type User } from '../../app/api'
import { LanguageSwitch } from '../../ui/LanguageSwitch'

export function LoginPage({ onLoggedIn }: { onLoggedIn: (s: { user: User; csrfToken: string }) => void }) {
  const { t } = useTranslation()
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  // The password was right and the account has two-factor login: the same form asks for the code.
  const [askCode, setAskCode] = useState(false)

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    setBusy(true)
    setError(null)
    try {
      const code = askCode ? String(form.get('code')).trim() : ''
      onLoggedIn(await api('POST', '/api/auth/login', { email: String(form.get('email')), password: String(form.get('password')), ...(code ? { code } : {}) }))
    } catch (err) {
      const type = err instanceof ApiError ? err.type.split('/').pop() : ''
      if (type === 'two-factor-required') return setAskCode(true)
      setError(err instanceof ApiError && err.status === 429 ? t('login.throttled') : type === 'two-factor-invalid' ? t('login.codeFailed') : t('login.failed'))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">{t('app.name')}</h1>
        <p className="muted">{t('login.subtitle')}</p>
        <label>
          {t('login.email')}
          <input name="email" type="email" autoComplete="username" required autoFocus />
        </label>
        <label>
          {t('login.password')}
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {askCode && (
          <label>
            {t('login.code')}
            <input name="code" autoComplete="one-time-code" required maxLength={32} autoFocus aria-describedby="login-code-hint" />
            <span id="login-code-hint" className="muted small">
              {t('login.codeHint')}
            </span>
          </label>
        )}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t('login.submit')}
        </button>
        <LanguageSwitch />
      </form>
    </main>
  )
}
