import { useCallback, useEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError } from '../../app/api'
import { useInboxEvent } from '../../app/event-bus'
import { useLatest } from '../../app/useLatest'
import { useWorkspace } from '../../app/workspace'
import { ErrorLine } from '../settings/useList'
import { CampaignForm } from './CampaignForm'
import { EmptyRow, Table, TableHead } from '../../ui/TableHead'

type Progress = { recipients: number; pending: number; queued: number; skipped: Record<string, number>; sent: number; delivered: number; read: number; failed: number; replied: number }
type Campaign = { id: string; name: string; status: string; template: { name: string }; scheduledAt: string | null; progress: Progress }
type Recipient = { contactId: string; name: string | null; waId: string | null; state: string; skipReason: string | null; status: string | null; error: string | null; replied: boolean }

const ACTIONS: Record<string, string[]> = { draft: ['start', 'cancel'], scheduled: ['start', 'cancel'], running: ['pause', 'cancel'], paused: ['resume', 'cancel'] }

/** Campaigns with their live progress; admins create, start, pause, resume and cancel them. */
export function CampaignsPage() {
  const { t } = useTranslation()
  const { user } = useWorkspace()
  const [items, setItems] = useState<Campaign[] | null>(null)
  const [open, setOpen] = useState<string | null>(null)
  const [recipients, setRecipients] = useState<Recipient[]>([])
  const latestRecipients = useLatest() // the campaign opened last; one opened before must not answer into it
  const [error, setError] = useState<string | null>(null)
  const load = useCallback(() => void api<{ items: Campaign[] }>('GET', '/api/campaigns').then((r) => setItems(r.items), (err) => setError(describeError(err))), [])
  useEffect(load, [load])
  // Live while something is sending.
  const active = (items ?? []).some((c) => c.status === 'running' || c.status === 'scheduled')
  useEffect(() => {
    if (!active) return
    const timer = setInterval(load, 2000)
    return () => clearInterval(timer)
  }, [active, load])
  // Deliveries, reads and answers keep arriving after a campaign has queued its last message (and
  // so is complete): they reach the counts through the event stream, at most once a second.
  const reloadSoon = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useInboxEvent((e) => {
    if (e.type !== 'conversation.changed' && e.type !== 'reconnected') return
    reloadSoon.current ??= setTimeout(() => {
      reloadSoon.current = undefined
      load()
    }, 1000)
  })
  useEffect(() => () => clearTimeout(reloadSoon.current), [])
  useEffect(() => {
    if (open) void latestRecipients(api<{ items: Recipient[] }>('GET', `/api/campaigns/${open}/recipients`), (r) => setRecipients(r.items), () => undefined)
  }, [open, items])

  const act = (id: string, action: string) => void api('POST', `/api/campaigns/${id}/${action}`).then(load, (err) => setError(describeError(err)))

  return (
    <main className="stats-page">
      <h2>{t('campaigns.title')}</h2>
      <ErrorLine error={error} />
      <Table className="data-table">
        <TableHead columns={[t('campaigns.name'), t('campaigns.status'), t('campaigns.progress')]} actions />
        <tbody>
          {items?.length === 0 && <EmptyRow columns={4}>{t('campaigns.none')}</EmptyRow>}
          {(items ?? []).map((c) => (
            <tr key={c.id}>
              <th scope="row">
                <button type="button" className="link" onClick={() => setOpen(open === c.id ? null : c.id)} aria-expanded={open === c.id}>
                  {c.name}
                </button>
                <span className="muted small"> {c.template.name}</span>
              </th>
              <td>{t(`campaigns.statuses.${c.status}`)}</td>
              <td className="small">
                {t('campaigns.counts', { ...c.progress, total: c.progress.queued + c.progress.pending })}
                {c.progress.failed > 0 && ` · ${t('campaigns.failed', { count: c.progress.failed })}`}
              </td>
              <td>
                {user.role === 'admin' &&
                  (ACTIONS[c.status] ?? []).map((a) => (
                    <button key={a} type="button" className="small" onClick={() => act(c.id, a)}>
                      {t(`campaigns.actions.${a}`)}
                    </button>
                  ))}
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
      {open && (
        <Table className="data-table" aria-label={t('campaigns.recipients')}>
          <caption>{t('campaigns.recipients')}</caption>
          <tbody>
            {recipients.map((r) => (
              <tr key={r.contactId}>
                <th scope="row">{r.name ?? (r.waId ? `+${r.waId}` : '–')}</th>
                <td>{r.state === 'skipped' ? t(`campaigns.skipped.${r.skipReason ?? 'other'}`) : r.status ? t(`campaigns.messageStatus.${r.status}`, { defaultValue: r.status }) : t('campaigns.statuses.pending')}</td>
                <td>{r.error ?? (r.replied ? t('campaigns.replied') : '')}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {user.role === 'admin' && <CampaignForm onCreated={load} />}
    </main>
  )
}
