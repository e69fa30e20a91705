import { useTranslation } from 'react-i18next'
import type { Conversation } from '../../app/api'
import { formatNumber, formatWhen } from './format'

export function ConversationList(props: { items: Conversation[]; selectedId: string | null; onSelect: (id: string) => void }) {
  const { t } = useTranslation()
  if (props.items.length === 0) return <p className="empty">{t('inbox.empty')}</p>
  return (
    <ul className="conversation-list" aria-label={t('inbox.conversations')}>
      {props.items.map((c) => (
        <li key={c.id}>
          <button type="button" className={c.id === props.selectedId ? 'conversation selected' : 'conversation'} aria-current={c.id === props.selectedId} onClick={() => props.onSelect(c.id)}>
            <span className="avatar" aria-hidden="true">
              {(c.contact.name ?? c.contact.waId ?? '?').slice(0, 1).toUpperCase()}
            </span>
            <span className="conversation-main">
              <span className="conversation-name">{c.contact.name ?? formatNumber(c.contact.waId) ?? t('inbox.unknownContact')}</span>
              <span className="conversation-meta">
                {formatNumber(c.contact.waId)} · {t(`inbox.status.${c.status}`)}
                {c.windowExpiresAt ? '' : ` · ${t('inbox.windowClosed')}`}
              </span>
            </span>
            <time className="conversation-time" dateTime={c.lastMessageAt}>
              {formatWhen(c.lastMessageAt)}
            </time>
          </button>
        </li>
      ))}
    </ul>
  )
}
