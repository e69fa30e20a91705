import { useTranslation } from 'react-i18next'
import type { Message } from '../../app/api'
import { formatTime } from './format'
import { WhatsAppText } from './whatsapp-text'

type Obj = Record<string, unknown>
const str = (v: unknown) => (typeof v === 'string' ? v : '')

function Media({ m, kind }: { m: Message; kind: string }) {
  const { t } = useTranslation()
  const c = (m[kind] ?? {}) as Obj
  const state = str(c.mediaState)
  const url = `/api/media/${encodeURIComponent(str(c.mediaId))}`
  const caption = str(c.caption)
  if (state === 'pending') return <p className="muted">{`${t(`message.${kind}`)} · ${t('message.mediaPending')}`}</p>
  if (state === 'failed') return <p className="error">{`${t(`message.${kind}`)} · ${t('message.mediaFailed')}`}</p>
  return (
    <>
      {kind === 'image' || kind === 'sticker' ? <img className="media" src={url} alt={caption || t(`message.${kind}`)} /> : null}
      {kind === 'video' ? <video className="media" src={url} controls aria-label={t('message.video')} /> : null}
      {kind === 'audio' ? <audio src={url} controls aria-label={t('message.audio')} /> : null}
      {kind === 'document' ? (
        <a href={url} download>
          📄 {str(c.filename) || t('message.document')} · {t('message.download')}
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

function Content({ m }: { m: Message }) {
  const { t } = useTranslation()
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
      return <Media m={m} kind={m.type} />
    case 'location': {
      const lat = Number(c.latitude)
      const lon = Number(c.longitude)
      // A link, not an embedded map: no request to a third party unless the user follows it.
      return (
        <p>
          📍 {str(c.name) || t('message.location')} ({lat.toFixed(5)}, {lon.toFixed(5)}){' '}
          <a href={`https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`} target="_blank" rel="noopener noreferrer">
            {t('message.openMap')}
          </a>
        </p>
      )
    }
    case 'reaction':
      return <p className="muted">{str(c.emoji) ? t('message.reaction', { emoji: str(c.emoji) }) : t('message.reactionRemoved')}</p>
    case 'template':
      return <p className="muted">{t('message.template', { name: str(c.name) })}</p>
    case 'interactive': {
      const reply = (c.buttonReply ?? c.listReply) as Obj | undefined
      if (reply) return <p>{t('message.interactive', { title: str(reply.title) })}</p>
      return <p>{str((c.body as Obj | undefined)?.text)}</p>
    }
    case 'button':
      return <p>{t('message.interactive', { title: str(c.text) })}</p>
    case 'contacts':
      return <p>👤 {t('message.contacts')}</p>
    case 'order':
      return <p>🛒 {t('message.order')}</p>
    case 'system':
      return <p className="muted">{str(c.body) || t('message.system')}</p>
    default:
      return <p className="muted">{t('message.unsupported', { type: str(((m.unsupported ?? {}) as Obj).type) || m.type })}</p>
  }
}

function Ticks({ m }: { m: Message }) {
  const { t } = useTranslation()
  const label = t(`message.status.${m.status}`)
  const symbol = { queued: '🕓', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '⚠', uncertain: '?', received: '' }[m.status]
  return (
    <span className={`ticks ticks-${m.status}`} title={label} aria-label={label} data-status={m.status}>
      {symbol}
    </span>
  )
}

export function MessageBubble({ m, onResend }: { m: Message; onResend: (id: string) => void }) {
  const { t } = useTranslation()
  return (
    <li className={`bubble ${m.direction}`} data-message-id={m.id}>
      {m.context.forwarded || m.context.frequentlyForwarded ? <p className="muted small">↪ {t('message.forwarded')}</p> : null}
      {m.context.replyTo ? <p className="muted small">↩ {t('message.replyTo')}</p> : null}
      <Content m={m} />
      <p className="bubble-meta">
        <time dateTime={m.timestamp}>{formatTime(m.timestamp)}</time>
        {m.direction === 'outbound' ? <Ticks m={m} /> : null}
      </p>
      {m.status === 'failed' && m.error ? (
        <p className="error small" role="note">
          {m.error.detail ?? m.error.title}
        </p>
      ) : null}
      {m.status === 'uncertain' ? (
        <p className="small">
          {t('message.uncertainHint')}{' '}
          <button type="button" className="link" onClick={() => onResend(m.id)}>
            {t('message.resend')}
          </button>
        </p>
      ) : null}
    </li>
  )
}
