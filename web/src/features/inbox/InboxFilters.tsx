import { useCallback, useEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { CONVERSATION_STATUSES, TranslatedOptions } from '../../ui/Options'
import { api, type Conversation, type Page } from '../../app/api'
import { useInboxEvent } from '../../app/event-bus'
import { useWorkspace } from '../../app/workspace'
import { formatNumber } from './format'

/** `overdue`: only customers past the reply target, longest waiting first. */
export type Filter = { view: 'all' | 'mine' | 'unassigned'; status: '' | 'open' | 'pending' | 'resolved'; labelId: string; channelId: string; order: 'newest' | 'waiting'; overdue: boolean }
export const NO_FILTER: Filter = { view: 'all', status: '', labelId: '', channelId: '', order: 'newest', overdue: false }

/** Past the reply target at this moment. */
export const isOverdue = (c: Conversation, now = Date.now()) => c.status === 'open' && c.replyDueAt !== null && Date.parse(c.replyDueAt) <= now

/** Only customers waiting for an answer, longest waiting first (the overdue view is one of them). */
const longestWaitingFirst = (f: Filter) => f.order === 'waiting' || f.overdue

/** The list's order: latest activity first, or (waiting, overdue) the longest waiting first. */
export function listOrder(f: Filter): (a: Conversation, b: Conversation) => number {
  const by = (key: (c: Conversation) => string) => (a: Conversation, b: Conversation) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id < b.id ? -1 : 1)
  const oldest = by((c) => c.lastMessageAt)
  return longestWaitingFirst(f) ? by((c) => c.awaitingReplySince ?? '') : (a, b) => oldest(b, a)
}

export function filterQuery(f: Filter): string {
  const q = new URLSearchParams()
  if (f.view === 'mine') q.set('assignee', 'me')
  if (f.view === 'unassigned') q.set('assignee', 'none')
  if (f.status) q.set('status', f.status)
  if (f.labelId) q.set('label', f.labelId)
  if (f.channelId) q.set('channel', f.channelId)
  if (longestWaitingFirst(f)) q.set('order', 'waiting')
  if (f.overdue) q.set('overdue', 'true')
  const s = q.toString()
  return s ? `&${s}` : ''
}

/** The same filter on the client, for conversations that change while the list is shown. */
export function matchesFilter(c: Conversation, f: Filter, userId: string): boolean {
  if (f.view === 'mine' && c.assigneeId !== userId) return false
  if (f.view === 'unassigned' && c.assigneeId !== null) return false
  if (f.status && c.status !== f.status) return false
  if (f.labelId && !c.labelIds.includes(f.labelId)) return false
  if (f.channelId && c.channelId !== f.channelId) return false
  if (longestWaitingFirst(f) && c.awaitingReplySince === null) return false
  if (f.overdue && !isOverdue(c)) return false
  return true
}

type OpenCounts = { all: number; mine: number; unassigned: number; overdue: number }

/** Open conversations per view, kept current: refetched (at most every second) when conversations change. */
function useOpenCounts(): OpenCounts | null {
  const [counts, setCounts] = useState<OpenCounts | null>(null)
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const load = useCallback(() => void api<OpenCounts>('GET', '/api/conversations/counts').then(setCounts, () => undefined), [])
  useEffect(() => {
    load()
    // Customers pass the reply target with no event: look again every minute.
    const every = setInterval(load, 60_000)
    return () => {
      clearInterval(every)
      if (timer.current) clearTimeout(timer.current)
    }
  }, [load])
  useInboxEvent((e) => {
    if (e.type !== 'conversation.changed' && e.type !== 'inbox.changed' && e.type !== 'reconnected') return
    timer.current ??= setTimeout(() => {
      timer.current = null
      load()
    }, 1000)
  })
  return counts
}

export function InboxFilters({ filter, onChange }: { filter: Filter; onChange: (f: Filter) => void }) {
  const { t } = useTranslation()
  const { labels } = useWorkspace()
  const [channels, setChannels] = useState<{ id: string; displayPhoneNumber: string | null }[]>([])
  useEffect(() => {
    void api<Page<{ id: string; displayPhoneNumber: string | null }>>('GET', '/api/channels').then((p) => setChannels(p.items), () => undefined)
  }, [])
  const set = (patch: Partial<Filter>) => onChange({ ...filter, ...patch })
  const counts = useOpenCounts()

  return (
    <div className="filters">
      <div className="segmented" role="group" aria-label={t('inbox.filter.view')}>
        {(['all', 'mine', 'unassigned'] as const).map((v) => (
          <button key={v} type="button" aria-pressed={filter.view === v} onClick={() => set({ view: v })} title={counts ? t('inbox.filter.openCount', { count: counts[v] }) : undefined}>
            {t(`inbox.filter.${v}`)}
            {counts && counts[v] > 0 && (
              <span className="view-count" aria-hidden="true">
                {counts[v]}
              </span>
            )}
          </button>
        ))}
      </div>
      {counts && (counts.overdue > 0 || filter.overdue) && (
        <button type="button" className="overdue-toggle" aria-pressed={filter.overdue} onClick={() => set({ overdue: !filter.overdue })} title={t('inbox.reply.overdueViewHint')}>
          {t('inbox.reply.overdueView')}
          <span className="view-count">{counts.overdue}</span>
        </button>
      )}
      <div className="filter-row">
        <label>
          <span className="visually-hidden">{t('inbox.filter.status')}</span>
          <select value={filter.status} onChange={(e) => set({ status: e.target.value as Filter['status'] })} aria-label={t('inbox.filter.status')}>
            <option value="">{t('inbox.filter.anyStatus')}</option>
            <TranslatedOptions values={CONVERSATION_STATUSES} prefix="inbox.status" />
          </select>
        </label>
        <label>
          <span className="visually-hidden">{t('inbox.filter.label')}</span>
          <select value={filter.labelId} onChange={(e) => set({ labelId: e.target.value })} aria-label={t('inbox.filter.label')}>
            <option value="">{t('inbox.filter.anyLabel')}</option>
            {labels.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="visually-hidden">{t('inbox.filter.order')}</span>
          <select value={filter.order} onChange={(e) => set({ order: e.target.value as Filter['order'] })} aria-label={t('inbox.filter.order')}>
            <option value="newest">{t('inbox.filter.newest')}</option>
            <option value="waiting">{t('inbox.filter.waiting')}</option>
          </select>
        </label>
        {channels.length > 1 && (
          <label>
            <span className="visually-hidden">{t('inbox.filter.channel')}</span>
            <select value={filter.channelId} onChange={(e) => set({ channelId: e.target.value })} aria-label={t('inbox.filter.channel')}>
              <option value="">{t('inbox.filter.anyChannel')}</option>
              {channels.map((c) => (
                <option key={c.id} value={c.id}>
                  {formatNumber(c.displayPhoneNumber?.replace(/\D/g, '') ?? c.id)}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
    </div>
  )
}
