import { useTranslation } from 'react-i18next'
import { useWorkspace } from '../../app/workspace'
import { ArchivePage } from '../archive/ArchivePage'
import { AuditLogPage } from '../privacy/AuditLogPage'
import { BreachesPage } from '../privacy/BreachesPage'
import { RecordPage } from '../privacy/RecordPage'
import { RequestsPage } from '../privacy/RequestsPage'
import { AssignmentSettings } from '../assignment/AssignmentSettings'
import { AutomationSettings } from '../automation/AutomationSettings'
import { BusinessProfileSettings } from '../automation/BusinessProfileSettings'
import { TemplateSettings } from '../channel/TemplateSettings'
import { AccountSettings } from './AccountSettings'
import { ChannelSettings } from './ChannelSettings'
import { ConsentSettings } from './ConsentSettings'
import { GeneralSettings } from './GeneralSettings'
import { LabelSettings } from './LabelSettings'
import { QuickReplySettings } from './QuickReplySettings'
import { IntegrationSettings } from './IntegrationSettings'
import { TokenSettings } from './TokenSettings'
import { UserSettings } from './UserSettings'

const PAGES = {
  users: { roles: ['admin'], Page: UserSettings },
  assignment: { roles: ['admin'], Page: AssignmentSettings },
  tokens: { roles: ['admin'], Page: TokenSettings },
  integrations: { roles: ['admin'], Page: IntegrationSettings },
  channel: { roles: ['admin'], Page: ChannelSettings },
  templates: { roles: ['admin'], Page: TemplateSettings },
  labels: { roles: ['admin'], Page: LabelSettings },
  'quick-replies': { roles: ['admin', 'agent'], Page: QuickReplySettings },
  general: { roles: ['admin'], Page: GeneralSettings },
  profile: { roles: ['admin'], Page: BusinessProfileSettings },
  automation: { roles: ['admin'], Page: AutomationSettings },
  consent: { roles: ['admin'], Page: ConsentSettings },
  requests: { roles: ['admin'], Page: RequestsPage },
  breaches: { roles: ['admin'], Page: BreachesPage },
  record: { roles: ['admin', 'auditor'], Page: RecordPage },
  audit: { roles: ['admin', 'auditor'], Page: AuditLogPage },
  archive: { roles: ['admin', 'auditor'], Page: ArchivePage },
  account: { roles: ['admin', 'agent', 'auditor'], Page: AccountSettings },
} as const
type PageKey = keyof typeof PAGES

/** Settings by route `settings/:page`; each role sees the pages it may use. */
export function SettingsPage({ route }: { route: string }) {
  const { t } = useTranslation()
  const { user } = useWorkspace()
  const allowed = (Object.keys(PAGES) as PageKey[]).filter((k) => (PAGES[k].roles as readonly string[]).includes(user.role))
  const wanted = route.split('/')[1] as PageKey | undefined
  // The auditor comes for the archive; everyone else starts at the top of the menu.
  const current = wanted && allowed.includes(wanted) ? wanted : user.role === 'auditor' ? 'archive' : allowed[0]
  const Page = current ? PAGES[current].Page : null
  return (
    <div className="settings">
      <nav className="settings-nav" aria-label={t('app.settings')}>
        <h2>{t('app.settings')}</h2>
        <ul>
          {allowed.map((k) => (
            <li key={k}>
              <a href={`#/settings/${k}`} aria-current={k === current ? 'page' : undefined}>
                {t(`settings.${k}.title`)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main className="settings-main">{Page ? <Page /> : <p className="empty">{t('settings.auditorOnly')}</p>}</main>
    </div>
  )
}
