import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import type { Conversation } from '../../app/api'
import { formatUntil } from './format'

/** Less than this left: the answer is due soon (amber). */
const SOON_MS = 15 * 60_000

/** The current time, renewed every `everyMs` (for what turns due or overdue with no event). */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(Date.now)
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs)
    return () => clearInterval(timer)
  }, [everyMs])
  return now
}

/** A span of time as a compact, rounded-down count: 25 Min., 3 Std., 2 Tg. */
function useSpan() {
  const { t } = useTranslation()
  return (ms: number) => {
    const minutes = Math.max(1, Math.floor(ms / 60_000))
    if (minutes < 60) return t('inbox.reply.minutes', { count: minutes })
    if (minutes < 48 * 60) return t('inbox.reply.hours', { count: Math.floor(minutes / 60) })
    return t('inbox.reply.days', { count: Math.floor(minutes / (24 * 60)) })
  }
}

/** Where a waiting customer stands against the reply target: due by a time, due soon, or overdue by how long. */
export function ReplyDue({ conversation, now }: { conversation: Pick<Conversation, 'status' | 'replyDueAt'>; now: number }) {
  const { t } = useTranslation()
  const span = useSpan()
  const { replyDueAt, status } = conversation
  if (!replyDueAt || status !== 'open') return null
  const left = Date.parse(replyDueAt) - now
  const state = left <= 0 ? 'overdue' : left < SOON_MS ? 'soon' : 'due'
  const text = state === 'overdue' ? t('inbox.reply.overdueBy', { span: span(-left) }) : state === 'soon' ? t('inbox.reply.dueIn', { span: span(left) }) : t('inbox.reply.dueBy', { time: formatUntil(replyDueAt) })
  return (
    <span className={`reply-due reply-${state}`} title={t('inbox.reply.hint', { time: formatUntil(replyDueAt) })}>
      {text}
    </span>
  )
}
