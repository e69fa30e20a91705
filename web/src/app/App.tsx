import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { LoginPage } from '../features/auth/LoginPage'
import { SetupPage } from '../features/auth/SetupPage'
import { TwoFactorRequiredPage } from '../features/auth/TwoFactorRequiredPage'
import { forgetDrafts } from '../features/inbox/drafts'
import { api, setCsrfToken, type User } from './api'
import { Shell } from './Shell'

type Session = { user: User; csrfToken: string; twoFactorRequired?: boolean }

/** Shows the login until a session exists, then the inbox. */
export function App() {
  const { t } = useTranslation()
  const [session, setSession] = useState<Session | null | undefined>(undefined)
  const [setupNeeded, setSetupNeeded] = useState(false)

  useEffect(() => {
    void (async () => {
      // Both at once: the first screen waits for one round trip, not two.
      const [setup, me] = await Promise.all([
        api<{ needed: boolean }>('GET', '/api/setup').catch(() => ({ needed: false })),
        api<Session>('GET', '/api/auth/me').catch(() => null),
      ])
      if (setup.needed) {
        setSetupNeeded(true)
        setSession(null)
        return
      }
      if (me) setCsrfToken(me.csrfToken)
      setSession(me)
    })()
  }, [])

  const start = (s: Session) => {
    forgetDrafts()
    setCsrfToken(s.csrfToken)
    setSetupNeeded(false)
    setSession(s)
  }

  if (session === undefined) return <p className="loading">{t('app.loading')}</p>
  if (!session && setupNeeded) return <SetupPage onDone={start} />
  if (!session)
    return (
      <LoginPage onLoggedIn={start} />
    )
  const loggedOut = () => {
    forgetDrafts()
    setCsrfToken(null)
    setSession(null)
  }
  if (session.twoFactorRequired) return <TwoFactorRequiredPage user={session.user} onDone={() => setSession({ ...session, twoFactorRequired: false })} onLoggedOut={loggedOut} />
  return <Shell user={session.user} onLoggedOut={loggedOut} />
}
