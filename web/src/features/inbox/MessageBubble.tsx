import { useTranslation } from 'react-i18next'
import { TemplateText } from '../../ui/TemplatePreview'
import { useTemplates } from './useTemplates'
import type { Message, MessageStatus } from '../../app/api'
import { useWorkspace } from '../../app/workspace'
import { EmojiPicker } from './EmojiPicker'
import { formatSize, formatTime } from './format'
import { signatureLine, WhatsAppText } from './whatsapp-text'
import { Icon } from '../../ui/Icon'

type Obj = Record<string, unknown>
const str = (v: unknown) => (typeof v === 'string' ? v : '')

type Zoom = (url: string, caption: string) => void

function Media({ m, kind, onZoom }: { m: Message; kind: string; onZoom?: Zoom | undefined }) {
  const { t } = useTranslation()
  const c = (m[kind] ?? {}) as Obj
  const state = str(c.mediaState)
  const url = `/api/media/${encodeURIComponent(str(c.mediaId))}`
  const caption = str(c.caption)
  if (state === 'pending') return <p className="muted">{`${t(`message.${kind}`)} · ${t('message.mediaPending')}`}</p>
  if (state === 'failed') return <p className="error">{`${t(`message.${kind}`)} · ${t('message.mediaFailed')}`}</p>
  return (
    <>
      {kind === 'image' || kind === 'sticker' ? (
        <button type="button" className="media-button" onClick={() => onZoom?.(url, caption)} aria-label={t('message.enlarge')}>
          <img className="media" src={url} alt={caption || t(`message.${kind}`)} />
        </button>
      ) : null}
      {kind === 'video' ? <video className="media" src={url} controls aria-label={t('message.video')} /> : null}
      {kind === 'audio' ? <audio src={url} controls aria-label={t('message.audio')} /> : null}
      {kind === 'document' ? (
        <a href={url} download={str(c.filename) || true}>
          <Icon name="document" /> {str(c.filename) || t('message.document')}
          {typeof c.size === 'number' ? ` (${formatSize(c.size)})` : ''} · {t('message.download')}
        </a>
      ) : null}
      {caption ? (
        <p>
          <WhatsAppText text={caption} />
        </p>
      ) : null}
    </>
  )
}

function Content({ m, onZoom }: { m: Message; onZoom?: Zoom | undefined }) {
  const { t } = useTranslation()
  const { strictEu } = useWorkspace()
  const c = (m[m.type] ?? {}) as Obj
  switch (m.type) {
    case 'text':
      return (
        <p>
          <WhatsAppText text={str(c.body)} />
        </p>
      )
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return <Media m={m} kind={m.type} onZoom={onZoom} />
    case 'location': {
      const lat = Number(c.latitude)
      const lon = Number(c.longitude)
      // A link, not an embedded map: no request to a third party unless the user follows it; none
      // at all in strict EU mode (OpenStreetMap is run from the UK).
      return (
        <p>
          <Icon name="pin" /> {str(c.name) || t('message.location')} ({lat.toFixed(5)}, {lon.toFixed(5)}){' '}
          {!strictEu && (
            <a href={`https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`} target="_blank" rel="noopener noreferrer">
              {t('message.openMap')}
            </a>
          )}
        </p>
      )
    }
    case 'reaction':
      return <p className="muted">{str(c.emoji) ? t('message.reaction', { emoji: str(c.emoji) }) : t('message.reactionRemoved')}</p>
    case 'template':
      return <SentTemplate c={c} />
    case 'interactive': {
      const reply = (c.buttonReply ?? c.listReply) as Obj | undefined
      if (reply) return <p>{t('message.interactive', { title: str(reply.title) })}</p>
      const choices = offeredChoices(c)
      return (
        <>
          <p>{str((c.body as Obj | undefined)?.text)}</p>
          {choices.length > 0 && (
            <ul className="choices" aria-label={t('message.choices')}>
              {choices.map((title, i) => (
                <li key={i}>{title}</li>
              ))}
            </ul>
          )}
        </>
      )
    }
    case 'button':
      return <p>{t('message.interactive', { title: str(c.text) })}</p>
    case 'contacts': {
      const cards = (Array.isArray(m.contacts) ? m.contacts : []) as { name?: { formattedName?: string }; phones?: { phone?: string }[] }[]
      return (
        <div className="contact-card">
          {cards.length === 0 && <p><Icon name="person" /> {t('message.contacts')}</p>}
          {cards.map((card, i) => (
            <p key={i}>
              <Icon name="person" /> <strong>{card.name?.formattedName ?? t('message.contacts')}</strong>
              {(card.phones ?? []).map((p) => ` · ${p.phone ?? ''}`)}
            </p>
          ))}
        </div>
      )
    }
    case 'order':
      return <p><Icon name="cart" /> {t('message.order')}</p>
    case 'system':
      return <p className="muted">{str(c.body) || t('message.system')}</p>
    default:
      return <p className="muted">{t('message.unsupported', { type: str(((m.unsupported ?? {}) as Obj).type) || m.type })}</p>
  }
}

export function Ticks({ status }: { status: MessageStatus }) {
  const { t } = useTranslation()
  const label = t(`message.status.${status}`)
  const symbol = { queued: <Icon name="clock" size={12} />, sent: '✓', delivered: '✓✓', read: '✓✓', failed: '⚠', uncertain: '?', received: '' }[status]
  return (
    <span className={`ticks ticks-${status}`} title={label} aria-label={label} data-status={status}>
      {symbol}
    </span>
  )
}


export type BubbleActions = {
  onResend: (id: string) => void
  onReply: (m: Message) => void
  onReact: (m: Message, emoji: string) => void
  onZoom: Zoom
}

const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '🙏']

/** A text that begins with its sender's name in bold (signed replies) names them already. */
const signedBy = (m: Message, name: string) => m.type === 'text' && String((m.text as { body?: string } | undefined)?.body ?? '').startsWith(signatureLine(name))

/**
 * One message: its content, the quoted message it replies to, the reactions it received, time,
 * ticks (outbound), the agent who sent it, and the failure reason or a deliberate resend.
 */
export function MessageBubble(props: { m: Message; quoted?: Message | undefined; reactions: string[]; senderName?: string | undefined; highlighted: boolean; canAct: boolean } & BubbleActions) {
  const { t } = useTranslation()
  const { m } = props
  return (
    <li className={`bubble ${m.direction}${props.highlighted ? ' highlighted' : ''}`} data-message-id={m.id} id={`message-${m.id}`}>
      {props.senderName && !signedBy(m, props.senderName) ? <p className="sender small">{props.senderName}</p> : null}
      {m.context.forwarded || m.context.frequentlyForwarded ? <p className="muted small">↪ {t('message.forwarded')}</p> : null}
      {m.context.replyTo ? (
        <blockquote className="quote small">{props.quoted ? <WhatsAppText text={quoteText(props.quoted, t)} /> : t('message.replyTo')}</blockquote>
      ) : null}
      <Content m={m} onZoom={props.onZoom} />
      <p className="bubble-meta">
        <time dateTime={m.timestamp}>{formatTime(m.timestamp)}</time>
        {m.direction === 'outbound' ? <Ticks status={m.status} /> : null}
      </p>
      {props.reactions.length > 0 && (
        <p className="reactions" aria-label={t('message.reactions', { list: props.reactions.join(' ') })}>
          {props.reactions.join(' ')}
        </p>
      )}
      {m.status === 'failed' && m.error ? (
        <p className="error small" role="note">
          {m.error.detail ?? m.error.title}
        </p>
      ) : null}
      {m.canResend ? (
        <p className="small">
          {m.status === 'uncertain' ? `${t('message.uncertainHint')} ` : null}
          <button type="button" className="link" onClick={() => props.onResend(m.id)}>
            {m.status === 'uncertain' ? t('message.resend') : t('message.retry')}
          </button>
        </p>
      ) : null}
      {props.canAct && m.wamid && m.type !== 'reaction' && (
        <div className="bubble-actions">
          <button type="button" className="icon" onClick={() => props.onReply(m)} aria-label={t('message.reply')} title={t('message.reply')}>
            ↩
          </button>
          <EmojiPicker emojis={QUICK_REACTIONS} icon={<Icon name="smile" />} label={t('message.react')} itemLabel={(e) => t('message.reactWith', { emoji: e })} groupClassName="reaction-picker" onPick={(e) => props.onReact(m, e)} />
        </div>
      )}
    </li>
  )
}

/** The reply buttons or list rows an interactive message offered the customer. */
function offeredChoices(c: Obj): string[] {
  const action = (c.action ?? {}) as { buttons?: { reply?: Obj }[]; sections?: { rows?: Obj[] }[] }
  return [...(action.buttons ?? []).map((b) => str(b.reply?.title)), ...(action.sections ?? []).flatMap((s) => (s.rows ?? []).map((r) => str(r.title)))].filter(Boolean)
}

/** A sent template as the customer saw it: its text with the send's values (its name until the templates are loaded). */
function SentTemplate({ c }: { c: Obj }) {
  const { t } = useTranslation()
  const template = useTemplates().find((x) => x.name === str(c.name) && x.language === str((c.language as Obj | undefined)?.code))
  if (!template) return <p className="muted">{t('message.template', { name: str(c.name) })}</p>
  const body = ((c.components ?? []) as Obj[]).find((x) => str(x.type).toLowerCase() === 'body')
  return (
    <div className="sent-template" title={t('message.template', { name: template.name })}>
      <TemplateText template={template} values={((body?.parameters ?? []) as Obj[]).map((p) => str(p.text))} />
    </div>
  )
}

/** One line of the message a reply quotes. */
export function quoteText(m: Message, t: (k: string, o?: Record<string, unknown>) => string): string {
  const c = (m[m.type] ?? {}) as Obj
  const choice = (c.buttonReply ?? c.listReply) as Obj | undefined
  // Interactive messages keep their text under body.text; a customer's choice under its title.
  const text = str(c.body) || str((c.body as Obj | undefined)?.text) || str(c.caption) || str(c.filename) || str(choice?.title) || (m.type === 'button' ? str(c.text) : '') || (m.type === 'location' ? str(c.name) : '')
  if (text) return text.length > 120 ? `${text.slice(0, 119)}…` : text
  return m.type === 'template' ? t('message.template', { name: str(c.name) }) : t(`message.${m.type}`, { defaultValue: m.type, title: '' })
}
