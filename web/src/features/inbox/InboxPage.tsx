import { useCallback, useEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, type Conversation, type Page } from '../../app/api'
import { useInboxEvent } from '../../app/event-bus'
import { useLatest } from '../../app/useLatest'
import { useWorkspace } from '../../app/workspace'
import { AutomationStatus } from '../automation/AutomationStatus'
import { SearchDialog } from '../search/SearchDialog'
import { BulkBar } from './BulkBar'
import { ChatView } from './ChatView'
import { ConversationList } from './ConversationList'
import { type Filter, filterQuery, InboxFilters, listOrder, matchesFilter, NO_FILTER } from './InboxFilters'
import { useAttention } from './useAttention'
import { ShortcutsDialog } from './ShortcutsDialog'
import { useKeyCommands } from './shortcuts'
import { Icon } from '../../ui/Icon'

/** The inbox: filters and conversation list on the left, the chat on the right. Route `inbox/:id[/:messageId]`. */
export function InboxPage({ route }: { route: string }) {
  const { t } = useTranslation()
  const { user } = useWorkspace()
  const [, selectedFromRoute, jumpTo] = route.split('/')
  const selectedId = selectedFromRoute || null
  const [filter, setFilter] = useState<Filter>(NO_FILTER)
  const [items, setItems] = useState<Conversation[]>([])
  const [nextCursor, setNextCursor] = useState<string | null>(null)
  const [loading, setLoading] = useState(false)
  const [searchOpen, setSearchOpen] = useState(false)
  const [shortcutsOpen, setShortcutsOpen] = useState(false)
  const [version, setVersion] = useState(0)
  const [selected, setSelected] = useState<Conversation | null>(null)
  // The conversations picked for a change to all of them; null while not picking.
  const [picked, setPicked] = useState<string[] | null>(null)
  const filterRef = useRef(filter)
  filterRef.current = filter
  // The open conversation now, not when a refetch began (the agent may have left it meanwhile).
  const selectedRef = useRef(selectedId)
  selectedRef.current = selectedId

  const select = useCallback((id: string | null, messageId?: string) => {
    window.location.hash = id ? `#/inbox/${id}${messageId ? `/${messageId}` : ''}` : '#/inbox'
  }, [])

  // Filters change faster than lists come back: only the latest first page, or a next page asked
  // for since, may land (an earlier filter's list would show under the new one).
  const latestPage = useLatest()
  const loadFirst = useCallback(() => {
    setNextCursor(null) // no next page of the list being replaced
    return latestPage(api<Page<Conversation>>('GET', `/api/conversations?limit=50${filterQuery(filter)}`), (page) => {
      setItems(page.items)
      setNextCursor(page.nextCursor)
    })
  }, [filter, latestPage])

  useEffect(() => {
    void loadFirst()
  }, [loadFirst])

  async function loadMore() {
    if (!nextCursor || loading) return
    setLoading(true)
    try {
      await latestPage(api<Page<Conversation>>('GET', `/api/conversations?limit=50${filterQuery(filter)}&cursor=${encodeURIComponent(nextCursor)}`), (page) => {
        setItems((prev) => [...prev, ...page.items.filter((c) => !prev.some((p) => p.id === c.id))])
        setNextCursor(page.nextCursor)
      })
    } finally {
      setLoading(false)
    }
  }

  // Refetches of one conversation can overlap (a burst of status events); their answers may
  // arrive out of order, and only the answer to the latest request may be shown.
  const fetches = useRef(new Map<string, number>())
  const fetchConversation = useCallback(async (id: string): Promise<Conversation | null | 'superseded'> => {
    const ticket = (fetches.current.get(id) ?? 0) + 1
    fetches.current.set(id, ticket)
    const c = await api<Conversation>('GET', `/api/conversations/${id}`).catch(() => null)
    return fetches.current.get(id) === ticket ? c : 'superseded'
  }, [])

  const attention = useAttention(items, selectedId)

  /**
   * One conversation (re)fetched: put it where its activity belongs in the list (pages stay
   * loaded) and show it in the chat if it is open there. Every fetch of a conversation lands here,
   * list and chat alike: a fetch only for the chat would supersede a refresh of the list and leave
   * the list behind. `changed`: its messages changed too (the chat reloads them).
   */
  async function refresh(id: string, changed = true) {
    const c = await fetchConversation(id)
    if (c === 'superseded') return
    if (!c) return id === selectedRef.current && setSelected(null)
    attention.changed(c)
    setItems((prev) => {
      const rest = prev.filter((p) => p.id !== id)
      return matchesFilter(c, filterRef.current, user.id) ? [...rest, c].sort(listOrder(filterRef.current)) : rest
    })
    if (id === selectedRef.current) {
      setSelected(c)
      if (changed) setVersion((v) => v + 1)
    }
  }

  // The open conversation is fetched by id, so that it shows even when the list's filter hides it.
  useEffect(() => {
    if (!selectedId) return setSelected(null)
    void refresh(selectedId, false)
    // (refresh reads the filter and the selection through refs: only a new selection fetches here)
  }, [selectedId])

  useInboxEvent((e) => {
    if (e.type === 'conversation.changed') void refresh(e.conversationId)
    else if (e.type === 'inbox.changed' || e.type === 'reconnected') {
      void loadFirst()
      if (selectedRef.current) void refresh(selectedRef.current)
    }
  })

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault()
        setSearchOpen(true)
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
  const step = (by: 1 | -1) => () => {
    const i = items.findIndex((c) => c.id === selectedId)
    const next = items[by === 1 ? Math.min(items.length - 1, i + 1) : Math.max(0, i - 1)]
    if (next) select(next.id)
  }
  useKeyCommands({ j: step(1), ArrowDown: step(1), k: step(-1), ArrowUp: step(-1), '/': () => setSearchOpen(true), '?': () => setShortcutsOpen(true) })

  // The chat follows the click at once: until the selected conversation's own fetch answers, its
  // list entry stands in. Showing the previous chat meanwhile would put a fast agent's words into
  // the wrong customer's composer.
  const shown = selected?.id === selectedId ? selected : (items.find((c) => c.id === selectedId) ?? null)

  return (
    // On a phone the list and the chat take turns; has-selection says which one shows. The page as a
    // whole is the main landmark, so that there is one whichever of the two is on screen.
    <main className={selectedId ? 'inbox has-selection' : 'inbox'}>
      <section className="sidebar" aria-label={t('inbox.conversations')}>
        <div className="sidebar-tools">
          <button type="button" className="search-button" onClick={() => setSearchOpen(true)} aria-keyshortcuts="Control+K">
            <Icon name="search" /> {t('search.open')} <kbd>Ctrl K</kbd>
          </button>
          <button type="button" className="shortcuts-button" onClick={() => setShortcutsOpen(true)} aria-keyshortcuts="?" aria-label={t('shortcuts.open')} title={t('shortcuts.open')}>
            <kbd>?</kbd>
          </button>
          {attention.canAsk && (
            <button type="button" className="link small" onClick={() => void attention.ask()}>
              {t('notify.enable')}
            </button>
          )}
        </div>
        <AutomationStatus />
        <InboxFilters filter={filter} onChange={setFilter} />
        {picked ? (
          <BulkBar
            picked={picked}
            loaded={items.map((c) => c.id)}
            onPick={setPicked}
            onDone={() => {
              setPicked(null)
              void loadFirst()
            }}
            onCancel={() => setPicked(null)}
          />
        ) : (
          items.length > 0 && (
            <button type="button" className="link small pick-start" onClick={() => setPicked([])}>
              {t('inbox.bulk.start')}
            </button>
          )
        )}
        <ConversationList
          items={items}
          selectedId={selectedId}
          onSelect={(id) => select(id)}
          onEndReached={() => void loadMore()}
          hasMore={nextCursor !== null}
          picked={picked ?? undefined}
          onPick={(id, on) => setPicked((prev) => (prev ? (on ? [...prev, id] : prev.filter((p) => p !== id)) : prev))}
        />
      </section>
      <div className="main">
        {shown ? (
          <ChatView conversation={shown} version={version} jumpTo={jumpTo} onChanged={() => void refresh(shown.id)} />
        ) : (
          <p className="empty">{t('inbox.choose')}</p>
        )}
      </div>
      {shortcutsOpen && <ShortcutsDialog onClose={() => setShortcutsOpen(false)} />}
      {searchOpen && (
        <SearchDialog
          onClose={() => setSearchOpen(false)}
          onOpen={(conversationId, messageId) => {
            setSearchOpen(false)
            select(conversationId, messageId)
          }}
        />
      )}
    </main>
  )
}
