import { useCallback, useEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, type Conversation, type Message, type Page, type User } from '../../app/api'
import { Composer } from './Composer'
import { formatNumber, formatUntil } from './format'
import { MessageBubble } from './MessageBubble'

export function ChatView(props: { conversation: Conversation; user: User; version: number; onChanged: () => void }) {
  const { t } = useTranslation()
  const { conversation: c } = props
  const [messages, setMessages] = useState<Message[]>([])
  const [older, setOlder] = useState<string | null>(null)
  const bottom = useRef<HTMLDivElement>(null)

  const load = useCallback(async () => {
    const page = await api<Page<Message>>('GET', `/api/conversations/${c.id}/messages?limit=50`)
    setMessages((prev) => {
      // Keep older pages already loaded; replace the newest 50.
      const newest = page.items.slice().reverse()
      const keep = prev.filter((m) => !newest.some((n) => n.id === m.id) && newest.length > 0 && m.timestamp < newest[0]!.timestamp)
      return [...keep, ...newest]
    })
    setOlder((prev) => prev ?? page.nextCursor)
  }, [c.id])

  useEffect(() => {
    setMessages([])
    setOlder(null)
  }, [c.id])
  useEffect(() => {
    void load()
  }, [load, props.version])
  useEffect(() => {
    // Braces matter: recent browsers return a promise from scrollIntoView, and an effect must not.
    void bottom.current?.scrollIntoView({ block: 'end' })
  }, [messages.length])

  async function loadOlder() {
    if (!older) return
    const page = await api<Page<Message>>('GET', `/api/conversations/${c.id}/messages?limit=50&cursor=${encodeURIComponent(older)}`)
    setMessages((prev) => [...page.items.slice().reverse(), ...prev])
    setOlder(page.nextCursor)
  }

  async function patch(body: object) {
    await api('PATCH', `/api/conversations/${c.id}`, body)
    props.onChanged()
  }

  return (
    <section className="chat" aria-label={c.contact.name ?? formatNumber(c.contact.waId)}>
      <header className="chat-header">
        <div>
          <h2>{c.contact.name ?? formatNumber(c.contact.waId)}</h2>
          <p className="muted small">
            {formatNumber(c.contact.waId)} · {c.windowExpiresAt ? t('inbox.windowOpen', { time: formatUntil(c.windowExpiresAt) }) : t('inbox.windowClosed')}
          </p>
        </div>
        <div className="chat-actions">
          {c.assigneeId !== props.user.id && (
            <button type="button" onClick={() => void patch({ assigneeId: props.user.id })}>
              {t('inbox.assignToMe')}
            </button>
          )}
          {c.status === 'resolved' ? (
            <button type="button" onClick={() => void patch({ status: 'open' })}>
              {t('inbox.reopen')}
            </button>
          ) : (
            <button type="button" onClick={() => void patch({ status: 'resolved' })}>
              {t('inbox.resolve')}
            </button>
          )}
        </div>
      </header>
      <div className="messages">
        {older && (
          <button type="button" className="link load-older" onClick={() => void loadOlder()}>
            {t('inbox.loadMore')}
          </button>
        )}
        <ol aria-live="polite">
          {messages.map((m) => (
            <MessageBubble key={m.id} m={m} onResend={(id) => void api('POST', `/api/messages/${id}/resend`).then(load)} />
          ))}
        </ol>
        <div ref={bottom} />
      </div>
      <Composer conversationId={c.id} windowOpen={c.windowExpiresAt !== null} onSent={() => void load()} />
    </section>
  )
}
