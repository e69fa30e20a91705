import { useCallback, useEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { type AppNotification, api, type Page } from '../../app/api'
import { useInboxEvent } from '../../app/event-bus'
import { formatNumber, formatWhen } from '../inbox/format'
import { Icon } from '../../ui/Icon'

/** The bell: @mentions of me, my reminders that came due, conversations given to me and customers past the reply target, newest first; opening one marks it read and opens its conversation. */
export function NotificationsMenu({ onOpen }: { onOpen: (conversationId: string) => void }) {
  const { t } = useTranslation()
  const [items, setItems] = useState<AppNotification[]>([])
  const [open, setOpen] = useState(false)
  // Those already on the list (shown or known at the first load): only newer ones pop up on the desktop.
  const known = useRef<Set<string> | null>(null)
  const load = useCallback(async () => {
    const fresh = (await api<Page<AppNotification>>('GET', '/api/notifications')).items
    setItems(fresh)
    const before = known.current
    known.current = new Set(fresh.map((n) => n.id))
    return before ? fresh.filter((n) => !n.readAt && !before.has(n.id)) : []
  }, [])
  useEffect(() => {
    void load().catch(() => undefined)
  }, [load])
  useInboxEvent((e) => {
    if (e.type === 'notification' || e.type === 'reconnected') void load().then((added) => added.forEach(popUp), () => undefined)
  })
  const unread = items.filter((n) => !n.readAt).length
  // The API gives the shown name, or the number where there is none (digits only).
  const shownContact = (name: string | null) => (name === null ? t('inbox.unknownContact') : /^\d+$/.test(name) ? formatNumber(name) : name)

  function headline(n: AppNotification): string {
    if (n.kind === 'reminder') return t('notify.reminder', { name: shownContact(n.contactName) })
    if (n.kind === 'reply_overdue') return t('notify.replyOverdue', { name: shownContact(n.contactName) })
    // Without an actor the conversation came by automatic assignment.
    if (n.kind === 'assigned') return n.actorName ? t('notify.assignedBy', { name: shownContact(n.contactName), actor: n.actorName }) : t('notify.assigned', { name: shownContact(n.contactName) })
    return t('notify.mention', { name: n.actorName ?? '?' })
  }

  /** While Postfach is not in front (another tab or program), a new one shows as a desktop notification, if permitted. */
  function popUp(n: AppNotification) {
    if (!('Notification' in window) || Notification.permission !== 'granted' || (!document.hidden && document.hasFocus())) return
    const shown = new Notification(headline(n), { body: n.excerpt ?? '', tag: n.id })
    shown.onclick = () => {
      window.focus()
      void openOne(n)
    }
  }

  async function openOne(n: AppNotification) {
    setOpen(false)
    await api('POST', '/api/notifications/read', { ids: [n.id] }).catch(() => undefined)
    void load()
    onOpen(n.conversationId)
  }

  return (
    <div className="popover-anchor">
      <button type="button" className="bell" aria-expanded={open} aria-label={t('notify.title', { count: unread })} onClick={() => setOpen((o) => !o)}>
        <Icon name="bell" size={18} />{unread > 0 && <span className="unread">{unread}</span>}
      </button>
      {open && (
        <div className="popover notifications" role="region" aria-label={t('notify.list')}>
          {items.length === 0 && <p className="muted small">{t('notify.none')}</p>}
          <ul>
            {items.map((n) => (
              <li key={n.id} className={n.readAt ? '' : 'unread-item'}>
                <button type="button" onClick={() => void openOne(n)}>
                  <strong>{headline(n)}</strong>{' '}
                  <span className="muted small">{formatWhen(n.createdAt)}</span>
                  {n.excerpt && <span className="small">{n.excerpt}</span>}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  )
}
