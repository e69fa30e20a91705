import { useEffect, useRef } from 'react'
import { useTranslation } from 'react-i18next'
import type { Conversation } from '../../app/api'
import { initials, useWorkspace } from '../../app/workspace'
import { formatMoment, formatNumber, formatUntil, formatWhen, maskNumber } from './format'
import { LabelChips } from './LabelChips'
import { ReplyDue, useNow } from './ReplyDue'
import { Ticks } from './MessageBubble'
import { TypeIcon } from '../../ui/Icon'
import { withoutFormatting } from './whatsapp-text'

/** The conversations, newest activity first; while picking (`picked` given), each with a checkbox. */
export function ConversationList(props: {
  items: Conversation[]
  selectedId: string | null
  onSelect: (id: string) => void
  onEndReached: () => void
  hasMore: boolean
  picked?: string[] | undefined
  onPick?: (id: string, on: boolean) => void
}) {
  const { t } = useTranslation()
  const { team, maskNumbers } = useWorkspace()
  const number = maskNumbers ? maskNumber : formatNumber
  const now = useNow()
  const sentinel = useRef<HTMLLIElement>(null)
  const onEnd = useRef(props.onEndReached)
  onEnd.current = props.onEndReached

  // For bench/inbox: the moment the first conversations are on screen and their handlers attached.
  const hasItems = props.items.length > 0
  useEffect(() => {
    if (hasItems && performance.getEntriesByName('inbox-interactive').length === 0) performance.mark('inbox-interactive')
  }, [hasItems])

  // Infinite scroll: the next page loads when the end of the list comes into view.
  useEffect(() => {
    const el = sentinel.current
    if (!el) return
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && onEnd.current(), { rootMargin: '200px' })
    observer.observe(el)
    return () => observer.disconnect()
  }, [props.hasMore])

  if (props.items.length === 0) return <p className="empty">{t('inbox.empty')}</p>
  return (
    <ul className="conversation-list" aria-label={t('inbox.conversations')}>
      {props.items.map((c) => {
        const name = c.contact.name ?? (number(c.contact.waId) || t('inbox.unknownContact'))
        const assignee = team.find((m) => m.id === c.assigneeId)
        const preview = c.lastMessage
        return (
          <li key={c.id} className={props.picked ? 'picking' : undefined}>
            {props.picked && (
              <input type="checkbox" className="pick" aria-label={t('inbox.bulk.pick', { name })} checked={props.picked.includes(c.id)} onChange={(e) => props.onPick?.(c.id, e.target.checked)} />
            )}
            <button
              type="button"
              className={c.id === props.selectedId ? 'conversation selected' : 'conversation'}
              aria-current={c.id === props.selectedId}
              data-conversation-id={c.id}
              onClick={() => props.onSelect(c.id)}
            >
              <span className="avatar" aria-hidden="true">
                {initials(c.contact.name ?? c.contact.waId)}
              </span>
              <span className="conversation-main">
                <span className="conversation-name">{name}</span>
                <span className="conversation-preview">
                  {preview?.direction === 'outbound' && <Ticks status={preview.status} />}
                  {preview && <TypeIcon type={preview.type} />} {preview?.text != null ? withoutFormatting(preview.text) : (preview ? t(`message.${preview.type}`, { defaultValue: t('message.unsupported', { type: preview.type }) }) : '')}
                </span>
                <span className="conversation-meta">
                  {c.status !== 'open' && (
                    <span className={`status-pill status-${c.status}`}>{c.status === 'pending' && c.pendingUntil ? t('inbox.pendingUntil', { time: formatMoment(c.pendingUntil) }) : t(`inbox.status.${c.status}`)}</span>
                  )}
                  <ReplyDue conversation={c} now={now} />
                  <span className={c.windowExpiresAt ? 'window open' : 'window closed'}>
                    {c.windowExpiresAt ? t('inbox.windowUntil', { time: formatUntil(c.windowExpiresAt) }) : t('inbox.windowClosedShort')}
                  </span>
                  <LabelChips ids={c.labelIds} />
                </span>
              </span>
              <span className="conversation-side">
                <time className="conversation-time" dateTime={c.lastMessageAt}>
                  {formatWhen(c.lastMessageAt)}
                </time>
                {c.unreadCount > 0 && (
                  <span className="unread" aria-label={t('inbox.unread', { count: c.unreadCount })}>
                    {c.unreadCount}
                  </span>
                )}
                {assignee && (
                  <span className="assignee-avatar" title={t('inbox.assignedTo', { name: assignee.name })} aria-label={t('inbox.assignedTo', { name: assignee.name })}>
                    {initials(assignee.name)}
                  </span>
                )}
              </span>
            </button>
          </li>
        )
      })}
      {props.hasMore && <li ref={sentinel} className="muted small list-end" aria-hidden="true">{t('app.loading')}</li>}
    </ul>
  )
}
