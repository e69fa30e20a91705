import { useTranslation } from 'react-i18next'
import { api, type User } from '../../app/api'
import { LanguageSwitch } from '../../ui/LanguageSwitch'
import { TwoFactorSettings } from '../settings/TwoFactorSettings'

/**
 * The company requires two-factor login and this person has not set it up: the only thing to do
 * after signing in (the server refuses everything else until then). Continues once the recovery
 * codes are saved.
 */
export function TwoFactorRequiredPage({ user, onDone, onLoggedOut }: { user: User; onDone: () => void; onLoggedOut: () => void }) {
  const { t } = useTranslation()
  async function logout() {
    await api('POST', '/api/auth/logout').catch(() => undefined)
    onLoggedOut()
  }
  return (
    <main className="login">
      <section className="login-card wide" aria-labelledby="two-factor-required-title">
        <h1 id="two-factor-required-title">{t('app.name')}</h1>
        <p role="status">{t('settings.twoFactor.required', { name: user.name })}</p>
        <TwoFactorSettings email={user.email} onCodesSaved={onDone} />
        <div className="row-actions">
          <button type="button" onClick={() => void logout()}>
            {t('app.logout')}
          </button>
          <LanguageSwitch />
        </div>
      </section>
    </main>
  )
}
