import { lazy, Suspense } from 'react'
import { useTranslation } from 'react-i18next'
import { InboxPage } from '../features/inbox/InboxPage'
import { IntegrityBanner } from '../features/archive/IntegrityBanner'
import { ChannelAlerts } from '../features/channel/ChannelAlerts'
import { NotificationsMenu } from '../features/notifications/NotificationsMenu'
import { AvailabilitySwitch } from '../features/assignment/AvailabilitySwitch'

// Settings are loaded when opened: the inbox's first load carries only what the inbox needs.
const CampaignsPage = lazy(() => import('../features/campaigns/CampaignsPage').then((m) => ({ default: m.CampaignsPage })))
const StatsPage = lazy(() => import('../features/stats/StatsPage').then((m) => ({ default: m.StatsPage })))
const SettingsPage = lazy(() => import('../features/settings/SettingsPage').then((m) => ({ default: m.SettingsPage })))
import { LanguageSwitch } from '../ui/LanguageSwitch'
import { api, type User } from './api'
import { emitInboxEvent } from './event-bus'
import { useHashRoute } from './useHashRoute'
import { useInboxEvents } from './useInboxEvents'
import { WorkspaceProvider } from './workspace'

/** The signed-in frame: top bar with navigation, then the inbox or the settings. */
export function Shell({ user, onLoggedOut }: { user: User; onLoggedOut: () => void }) {
  const { t } = useTranslation()
  const [route, go] = useHashRoute()
  const { online } = useInboxEvents(emitInboxEvent, user.role !== 'auditor')
  const inSettings = route.startsWith('settings') || user.role === 'auditor'
  const inStats = !inSettings && route.startsWith('stats')
  const inCampaigns = !inSettings && route.startsWith('campaigns')

  async function logout() {
    await api('POST', '/api/auth/logout').catch(() => undefined)
    onLoggedOut()
  }

  return (
    <WorkspaceProvider user={user}>
      <div className="shell">
        <div>
          <header className="topbar">
            <h1>{t('app.name')}</h1>
            <nav aria-label={t('app.navigation')} className="topnav">
              {user.role !== 'auditor' && (
                <a href="#/inbox" aria-current={!inSettings && !inStats && !inCampaigns ? 'page' : undefined}>
                  {t('app.inbox')}
                </a>
              )}
              {user.role !== 'auditor' && (
                <a href="#/campaigns" aria-current={inCampaigns ? 'page' : undefined}>
                  {t('app.campaigns')}
                </a>
              )}
              {user.role !== 'auditor' && (
                <a href="#/stats" aria-current={inStats ? 'page' : undefined}>
                  {t('app.stats')}
                </a>
              )}
              <a href="#/settings" aria-current={inSettings ? 'page' : undefined}>
                {t('app.settings')}
              </a>
            </nav>
            {!online && (
              <p role="status" className="offline">
                {t('app.offline')}
              </p>
            )}
            {user.role !== 'auditor' && <NotificationsMenu onOpen={(conversationId) => go(`inbox/${conversationId}`)} />}
            {user.role !== 'auditor' && <AvailabilitySwitch />}
            <a href="#/settings/account" className="topbar-user" title={t('settings.account.title')}>
              {user.name}
            </a>
            <LanguageSwitch />
            <button type="button" onClick={() => void logout()}>
              {t('app.logout')}
            </button>
          </header>
          {(user.role === 'admin' || user.role === 'auditor') && <IntegrityBanner />}
          {user.role === 'admin' && <ChannelAlerts />}
        </div>
        {inSettings || inStats || inCampaigns ? (
          <Suspense fallback={<p className="loading">{t('app.loading')}</p>}>{inStats ? <StatsPage /> : inCampaigns ? <CampaignsPage /> : <SettingsPage route={route} />}</Suspense>
        ) : (
          <InboxPage route={route} />
        )}
      </div>
    </WorkspaceProvider>
  )
}
