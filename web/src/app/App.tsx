import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { LoginPage } from '../features/auth/LoginPage'
import { InboxPage } from '../features/inbox/InboxPage'
import { api, setCsrfToken, type User } from './api'

type Session = { user: User; csrfToken: string }

/** Shows the login until a session exists, then the inbox. */
export function App() {
  const { t } = useTranslation()
  const [session, setSession] = useState<Session | null | undefined>(undefined)

  useEffect(() => {
    api<Session>('GET', '/api/auth/me').then(
      (s) => {
        setCsrfToken(s.csrfToken)
        setSession(s)
      },
      () => setSession(null),
    )
  }, [])

  if (session === undefined) return <p className="loading">{t('app.loading')}</p>
  if (!session)
    return (
      <LoginPage
        onLoggedIn={(s) => {
          setCsrfToken(s.csrfToken)
          setSession(s)
        }}
      />
    )
  return (
    <InboxPage
      user={session.user}
      onLoggedOut={() => {
        setCsrfToken(null)
        setSession(null)
      }}
    />
  )
}
