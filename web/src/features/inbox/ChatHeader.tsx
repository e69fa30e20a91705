import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { CONVERSATION_STATUSES, TranslatedOptions } from '../../ui/Options'
import { api, type Conversation } from '../../app/api'
import { useWorkspace } from '../../app/workspace'
import { formatMoment, formatNumber, formatUntil } from './format'
import { AssigneeOptions } from './AssigneeOptions'
import { LabelChips } from './LabelChips'
import { ReplyDue, useNow } from './ReplyDue'
import { SnoozeMenu } from './SnoozeMenu'
import { Icon } from '../../ui/Icon'
import { useKeyCommands } from './shortcuts'

/** Name, number and window state; assignment, status and labels of the conversation. */
export function ChatHeader(props: { conversation: Conversation; onChanged: () => void; onMarkUnread: () => Promise<void>; panelOpen: boolean; onTogglePanel: () => void; typingNames: string[] }) {
  const { t } = useTranslation()
  const { labels, user } = useWorkspace()
  const { conversation: c } = props
  const [labelsOpen, setLabelsOpen] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const now = useNow()

  async function run(call: Promise<unknown>) {
    setError(null)
    try {
      await call
      props.onChanged()
    } catch (err) {
      setError((err as Error).message)
    }
  }
  const patch = (body: object) => run(api('PATCH', `/api/conversations/${c.id}`, body))
  const toggleLabel = (id: string, on: boolean) => run(api(on ? 'PUT' : 'DELETE', `/api/conversations/${c.id}/labels/${id}`))
  const markUnread = () => void props.onMarkUnread().catch((err: Error) => setError(err.message))
  useKeyCommands({
    a: () => c.assigneeId !== user.id && void patch({ assigneeId: user.id }),
    e: () => c.status !== 'resolved' && void patch({ status: 'resolved' }),
    u: () => c.lastInboundAt && markUnread(),
  })

  return (
    <header className="chat-header">
      {/* Shown on narrow screens only, where the list gives way to the chat. */}
      <a href="#/inbox" className="back-to-list">
        ‹ {t('inbox.backToList')}
      </a>
      <button type="button" className="chat-title" onClick={props.onTogglePanel} aria-expanded={props.panelOpen} aria-controls="contact-panel" title={t('contact.show')}>
        <h2>{c.contact.name ?? formatNumber(c.contact.waId)}</h2>
        <span className="muted small">
          {formatNumber(c.contact.waId)} ·{' '}
          <span className={c.windowExpiresAt ? 'window open' : 'window closed'}>
            {c.windowExpiresAt ? t('inbox.windowOpen', { time: formatUntil(c.windowExpiresAt) }) : t('inbox.windowClosed')}
          </span>
          {c.replyDueAt && c.status === 'open' && (
            <>
              {' · '}
              <ReplyDue conversation={c} now={now} />
            </>
          )}
        </span>
        {props.typingNames.length > 0 && <span className="typing small">{t('note.typing', { names: props.typingNames.join(', ') })}</span>}
      </button>
      <div className="chat-actions">
        <LabelChips ids={c.labelIds} />
        <div className="popover-anchor">
          <button type="button" aria-expanded={labelsOpen} aria-haspopup="true" onClick={() => setLabelsOpen((o) => !o)}>
            <Icon name="tag" /> {t('labels.title')}
          </button>
          {labelsOpen && (
            <fieldset className="popover" aria-label={t('labels.apply')}>
              <legend className="visually-hidden">{t('labels.apply')}</legend>
              {labels.length === 0 && <p className="muted small">{t('labels.none')}</p>}
              {labels.map((l) => (
                <label key={l.id} className="check">
                  <input type="checkbox" checked={c.labelIds.includes(l.id)} onChange={(e) => void toggleLabel(l.id, e.target.checked)} />
                  <span className="swatch" style={{ background: l.color }} aria-hidden="true" /> {l.name}
                </label>
              ))}
            </fieldset>
          )}
        </div>
        <label>
          <span className="visually-hidden">{t('inbox.assignee')}</span>
          <select aria-label={t('inbox.assignee')} value={c.assigneeId ?? ''} onChange={(e) => void patch({ assigneeId: e.target.value || null })}>
            <option value="">{t('inbox.unassigned')}</option>
            <AssigneeOptions />
          </select>
        </label>
        <label>
          <span className="visually-hidden">{t('inbox.statusLabel')}</span>
          <select aria-label={t('inbox.statusLabel')} value={c.status} onChange={(e) => void patch({ status: e.target.value })}>
            <TranslatedOptions values={CONVERSATION_STATUSES} prefix="inbox.status" />
          </select>
        </label>
        {c.status === 'pending' && c.pendingUntil && (
          <span className="reminder small">
            <Icon name="clock" size={14} /> {t('inbox.reminderAt', { time: formatMoment(c.pendingUntil) })}
            <button type="button" aria-label={t('inbox.clearReminder')} title={t('inbox.clearReminder')} onClick={() => void patch({ pendingUntil: null })}>
              <Icon name="close" size={14} />
            </button>
          </span>
        )}
        {c.lastInboundAt && (
          <button type="button" aria-label={t('inbox.markUnread')} title={t('inbox.markUnread')} aria-keyshortcuts="U" onClick={markUnread}>
            <Icon name="unread" />
          </button>
        )}
        {c.status !== 'resolved' && <SnoozeMenu onSnooze={(until) => void patch({ status: 'pending', pendingUntil: until })} />}
        {c.status === 'resolved' ? (
          <button type="button" onClick={() => void patch({ status: 'open' })}>
            {t('inbox.reopen')}
          </button>
        ) : (
          <button type="button" aria-keyshortcuts="E" onClick={() => void patch({ status: 'resolved' })}>
            {t('inbox.resolve')}
          </button>
        )}
      </div>
      {error && (
        <p role="alert" className="error small">
          {error}
        </p>
      )}
    </header>
  )
}
