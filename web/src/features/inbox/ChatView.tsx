import { Fragment, useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, type Conversation, type Message, type Note, type Page } from '../../app/api'
import { useInboxEvent } from '../../app/event-bus'
import { useLatest } from '../../app/useLatest'
import { useWorkspace } from '../../app/workspace'
import { ChatHeader } from './ChatHeader'
import { Composer } from './Composer'
import { ContactPanel } from './ContactPanel'
import { dayKey, formatDay, formatTime } from './format'
import { Lightbox } from './Lightbox'
import { MessageBubble } from './MessageBubble'
import { Icon } from '../../ui/Icon'

type Entry = { kind: 'message'; at: string; m: Message } | { kind: 'note'; at: string; n: Note }

/** Reactions per target wamid: the latest emoji of each side (an empty emoji removes it). */
function reactionsOf(messages: Message[]): Map<string, string[]> {
  const bySide = new Map<string, Map<string, string>>()
  for (const m of messages) {
    if (m.type !== 'reaction') continue
    const r = (m.reaction ?? {}) as { messageId?: string; emoji?: string }
    if (!r.messageId) continue
    const sides = bySide.get(r.messageId) ?? new Map<string, string>()
    sides.set(m.direction, r.emoji ?? '')
    bySide.set(r.messageId, sides)
  }
  return new Map([...bySide].map(([wamid, sides]) => [wamid, [...sides.values()].filter(Boolean)]))
}

export function ChatView(props: { conversation: Conversation; version: number; jumpTo: string | undefined; onChanged: () => void }) {
  const { t } = useTranslation()
  const { user, team } = useWorkspace()
  const { conversation: c } = props
  const [messages, setMessages] = useState<Message[]>([])
  const [notes, setNotes] = useState<Note[]>([])
  const [older, setOlder] = useState<string | null>(null)
  const [replyTo, setReplyTo] = useState<Message | null>(null)
  const [panelOpen, setPanelOpen] = useState(false)
  const [zoom, setZoom] = useState<{ url: string; caption: string } | null>(null)
  const [typing, setTyping] = useState<Record<string, { name: string; until: number }>>({})
  const bottom = useRef<HTMLDivElement>(null)
  const jumped = useRef<string | null>(null)

  // Loads overlap (a burst of status events; the agent moving on to the next chat) and their
  // answers may come in any order: only the latest load may land, or an earlier answer would put
  // stale ticks — or another customer's messages — into this chat.
  const latest = useLatest()
  const load = useCallback(
    () =>
      latest(Promise.all([api<Page<Message>>('GET', `/api/conversations/${c.id}/messages?limit=50`), api<Page<Note>>('GET', `/api/conversations/${c.id}/notes`)]), ([page, noteList]) => {
        setMessages((prev) => {
          // Keep older pages already loaded; replace the newest 50.
          const newest = page.items.slice().reverse()
          const keep = prev.filter((m) => !newest.some((n) => n.id === m.id) && newest.length > 0 && m.timestamp < newest[0]!.timestamp)
          return [...keep, ...newest]
        })
        setOlder((prev) => prev ?? page.nextCursor)
        setNotes(noteList.items)
      }),
    [c.id, latest],
  )

  useEffect(() => {
    setMessages([])
    setNotes([])
    setOlder(null)
    setReplyTo(null)
    jumped.current = null
  }, [c.id])
  useEffect(() => {
    void load()
  }, [load, props.version])

  // Reading the conversation clears its unread count for the team (and marks it read at WhatsApp) —
  // unless it is being marked unread to leave it (its refreshed count must not be read away).
  const leaving = useRef(false)
  useEffect(() => {
    leaving.current = false
  }, [c.id])
  useEffect(() => {
    if (c.unreadCount > 0 && !document.hidden && !leaving.current) void api('POST', `/api/conversations/${c.id}/read`).catch(() => undefined)
  }, [c.id, c.unreadCount])
  /** "Als ungelesen markieren": back to the list, the conversation unread. */
  const markUnread = useCallback(async () => {
    leaving.current = true
    try {
      await api('POST', `/api/conversations/${c.id}/unread`)
      window.location.hash = '#/inbox'
    } catch (err) {
      leaving.current = false
      throw err
    }
  }, [c.id])

  const shownId = useRef(c.id)
  shownId.current = c.id
  const loadOlder = useCallback(async () => {
    if (!older) return false
    const id = c.id
    const page = await api<Page<Message>>('GET', `/api/conversations/${id}/messages?limit=50&cursor=${encodeURIComponent(older)}`)
    if (shownId.current !== id) return false // the agent moved on to another chat
    setMessages((prev) => [...page.items.slice().reverse(), ...prev])
    setOlder(page.nextCursor)
    return true
  }, [c.id, older])

  // A search hit: load older pages until the message is there, then scroll to it.
  useEffect(() => {
    const target = props.jumpTo
    if (!target || jumped.current === target || messages.length === 0) return
    if (messages.some((m) => m.id === target)) {
      jumped.current = target
      void document.getElementById(`message-${target}`)?.scrollIntoView({ block: 'center' })
    } else if (older) void loadOlder()
  }, [props.jumpTo, messages, older, loadOlder])

  useEffect(() => {
    if (props.jumpTo && jumped.current !== props.jumpTo) return
    // Braces matter: recent browsers return a promise from scrollIntoView, and an effect must not.
    void bottom.current?.scrollIntoView({ block: 'end' })
  }, [messages.length, notes.length, props.jumpTo])

  useInboxEvent((e) => {
    if (e.type === 'note.typing' && e.conversationId === c.id && e.userId !== user.id) {
      setTyping((prev) => ({ ...prev, [e.userId]: { name: e.name, until: Date.now() + 4000 } }))
      setTimeout(() => setTyping((prev) => Object.fromEntries(Object.entries(prev).filter(([, v]) => v.until > Date.now()))), 4100)
    }
  })

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return
      if (zoom) setZoom(null)
      else if (panelOpen) setPanelOpen(false)
      else if (replyTo) setReplyTo(null)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [zoom, panelOpen, replyTo])

  const byWamid = useMemo(() => new Map(messages.filter((m) => m.wamid).map((m) => [m.wamid!, m])), [messages])
  const reactions = useMemo(() => reactionsOf(messages), [messages])
  const entries = useMemo<Entry[]>(() => {
    const list: Entry[] = [
      ...messages.filter((m) => m.type !== 'reaction' || !(m.reaction as { messageId?: string } | undefined)?.messageId || !byWamid.has((m.reaction as { messageId: string }).messageId)).map((m) => ({ kind: 'message' as const, at: m.timestamp, m })),
      // Notes older than the loaded messages wait until those pages load.
      ...notes.filter((n) => !older || messages.length === 0 || n.createdAt >= messages[0]!.timestamp).map((n) => ({ kind: 'note' as const, at: n.createdAt, n })),
    ]
    return list.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
  }, [messages, notes, older, byWamid])

  async function react(m: Message, emoji: string) {
    await api('POST', `/api/conversations/${c.id}/messages`, { type: 'reaction', reaction: { message_id: m.wamid, emoji } }).catch(() => undefined)
    void load()
  }

  const typingNames = Object.values(typing).map((v) => v.name)
  return (
    <div className={panelOpen ? 'chat-area with-panel' : 'chat-area'}>
      <section className="chat" aria-label={t('inbox.chatWith', { name: c.contact.name ?? c.contact.waId })}>
        <ChatHeader conversation={c} onChanged={props.onChanged} onMarkUnread={markUnread} panelOpen={panelOpen} onTogglePanel={() => setPanelOpen((o) => !o)} typingNames={typingNames} />
        <div className="messages">
          {older && (
            <button type="button" className="link load-older" onClick={() => void loadOlder()}>
              {t('inbox.loadMore')}
            </button>
          )}
          <ol aria-live="polite" aria-label={t('inbox.messages')}>
            {entries.map((e, i) => {
              const prev = entries[i - 1]
              const separator = !prev || dayKey(prev.at) !== dayKey(e.at)
              return (
                <Fragment key={e.kind === 'message' ? e.m.id : e.n.id}>
                  {separator && (
                    <li className="day-separator">
                      <span>{formatDay(e.at)}</span>
                    </li>
                  )}
                  {e.kind === 'message' ? (
                    <MessageBubble
                      m={e.m}
                      quoted={e.m.context.replyTo ? byWamid.get(e.m.context.replyTo) : undefined}
                      reactions={e.m.wamid ? (reactions.get(e.m.wamid) ?? []) : []}
                      senderName={e.m.direction === 'outbound' && e.m.sentBy ? (team.find((u) => u.id === e.m.sentBy)?.name ?? undefined) : undefined}
                      highlighted={e.m.id === props.jumpTo}
                      canAct={c.windowExpiresAt !== null}
                      onResend={(id) => void api('POST', `/api/messages/${id}/resend`).then(load)}
                      onReply={setReplyTo}
                      onReact={(m, emoji) => void react(m, emoji)}
                      onZoom={(url, caption) => setZoom({ url, caption })}
                    />
                  ) : (
                    <li className="note" data-note-id={e.n.id}>
                      <p className="note-head small">
                        <Icon name="lock" size={12} /> {t('note.title')} · <strong>{e.n.author.name}</strong>
                      </p>
                      <p>{e.n.body}</p>
                      <p className="bubble-meta">
                        <time dateTime={e.n.createdAt}>{formatTime(e.n.createdAt)}</time>
                      </p>
                    </li>
                  )}
                </Fragment>
              )
            })}
          </ol>
          <div ref={bottom} />
        </div>
        <Composer key={c.id} conversation={c} replyTo={replyTo} onCancelReply={() => setReplyTo(null)} onSent={() => void load()} />
      </section>
      {panelOpen && <ContactPanel conversation={c} onClose={() => setPanelOpen(false)} version={props.version} />}
      {zoom && <Lightbox url={zoom.url} caption={zoom.caption} onClose={() => setZoom(null)} />}
    </div>
  )
}
