import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { LoginPage } from '../features/auth/LoginPage'
import { SetupPage } from '../features/auth/SetupPage'
import { api, setCsrfToken, type User } from './api'
import { Shell } from './Shell'

type Session = { user: User; csrfToken: string }

/** Shows the login until a session exists, then the inbox. */
export function App() {
  const { t } = useTranslation()
  const [session, setSession] = useState<Session | null | undefined>(undefined)
  const [setupNeeded, setSetupNeeded] = useState(false)

  useEffect(() => {
    void (async () => {
      if ((await api<{ needed: boolean }>('GET', '/api/setup').catch(() => ({ needed: false }))).needed) {
        setSetupNeeded(true)
        setSession(null)
        return
      }
      await api<Session>('GET', '/api/auth/me').then(
        (s) => {
          setCsrfToken(s.csrfToken)
          setSession(s)
        },
        () => setSession(null),
      )
    })()
  }, [])

  const start = (s: Session) => {
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
  return (
    <Shell
      user={session.user}
      onLoggedOut={() => {
        setCsrfToken(null)
        setSession(null)
      }}
    />
  )
}
