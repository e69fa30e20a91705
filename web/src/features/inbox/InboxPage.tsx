import { useCallback, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, type Conversation, type Page, type User } from '../../app/api'
import { useInboxEvents } from '../../app/useInboxEvents'
import { LanguageSwitch } from '../../ui/LanguageSwitch'
import { ChatView } from './ChatView'
import { ConversationList } from './ConversationList'

const FILTERS = ['all', 'mine', 'unassigned', 'open', 'pending', 'resolved'] as const
type Filter = (typeof FILTERS)[number]

function query(filter: Filter): string {
  if (filter === 'mine') return '?assignee=me'
  if (filter === 'unassigned') return '?assignee=none'
  if (filter === 'all') return ''
  return `?status=${filter}`
}

export function InboxPage({ user, onLoggedOut }: { user: User; onLoggedOut: () => void }) {
  const { t } = useTranslation()
  const [filter, setFilter] = useState<Filter>('all')
  const [items, setItems] = useState<Conversation[]>([])
  const [selectedId, setSelectedId] = useState<string | null>(null)
  const [version, setVersion] = useState(0)

  const loadList = useCallback(async () => {
    setItems((await api<Page<Conversation>>('GET', `/api/conversations${query(filter)}`)).items)
  }, [filter])

  useEffect(() => {
    void loadList()
  }, [loadList])

  const { online } = useInboxEvents((conversationId) => {
    void loadList()
    if (!conversationId || conversationId === selectedId) setVersion((v) => v + 1)
  })

  const selected = items.find((c) => c.id === selectedId) ?? null

  async function logout() {
    await api('POST', '/api/auth/logout').catch(() => undefined)
    onLoggedOut()
  }

  return (
    <div className="inbox">
      <header className="topbar">
        <h1>{t('app.name')}</h1>
        {!online && (
          <p role="status" className="offline">
            {t('app.offline')}
          </p>
        )}
        <span className="muted">{user.name}</span>
        <LanguageSwitch />
        <button type="button" onClick={() => void logout()}>
          {t('app.logout')}
        </button>
      </header>
      <aside className="sidebar">
        <label className="filter">
          <span>{t('inbox.filter.label')}</span>
          <select value={filter} onChange={(e) => setFilter(e.target.value as Filter)}>
            {FILTERS.map((f) => (
              <option key={f} value={f}>
                {t(`inbox.filter.${f}`)}
              </option>
            ))}
          </select>
        </label>
        <ConversationList items={items} selectedId={selectedId} onSelect={setSelectedId} />
      </aside>
      <main className="main">
        {selected ? (
          <ChatView conversation={selected} user={user} version={version} onChanged={() => void loadList()} />
        ) : (
          <p className="empty">{t('inbox.choose')}</p>
        )}
      </main>
    </div>
  )
}
