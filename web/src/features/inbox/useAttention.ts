import { useEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import type { Conversation } from '../../app/api'
import { formatNumber } from './format'

const supported = () => typeof window !== 'undefined' && 'Notification' in window

/**
 * Draws the agent's attention to new customer messages: the tab title carries the unread count,
 * and (once permitted) a browser notification appears when a message arrives elsewhere.
 */
export function useAttention(items: Conversation[], selectedId: string | null) {
  const { t } = useTranslation()
  const [permission, setPermission] = useState(supported() ? Notification.permission : 'denied')
  const seen = useRef(new Map<string, number>())

  useEffect(() => {
    for (const c of items) if (!seen.current.has(c.id)) seen.current.set(c.id, c.unreadCount)
    const unread = items.reduce((n, c) => n + c.unreadCount, 0)
    document.title = unread > 0 ? `(${unread}) ${t('app.name')}` : t('app.name')
  }, [items, t])

  return {
    canAsk: permission === 'default',
    async ask() {
      if (supported()) setPermission(await Notification.requestPermission())
    },
    changed(c: Conversation) {
      const before = seen.current.get(c.id) ?? 0
      seen.current.set(c.id, c.unreadCount)
      const isNew = c.unreadCount > before && c.lastMessage?.direction === 'inbound'
      if (!isNew || permission !== 'granted' || (c.id === selectedId && !document.hidden)) return
      const title = c.contact.name ?? formatNumber(c.contact.waId)
      const n = new Notification(title, { body: c.lastMessage?.text ?? t(`message.${c.lastMessage?.type ?? 'text'}`, { defaultValue: '' }), tag: c.id })
      n.onclick = () => {
        window.focus()
        window.location.hash = `#/inbox/${c.id}`
      }
    },
  }
}
