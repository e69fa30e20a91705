import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, type Page } from '../../app/api'
import { ErrorLine, useList } from '../settings/useList'
import { ImportPackage } from './ImportPackage'
import { RestrictionTasks } from './RestrictionTasks'
import { Table, TableHead } from '../../ui/TableHead'

export type DataRequest = {
  id: string
  contactId: string | null
  kind: string
  channel: string
  receivedAt: string
  dueDate: string
  originalDueDate: string
  extensionReason: string | null
  identityVerifiedAt: string | null
  status: 'open' | 'completed' | 'refused'
  daysLeft: number | null
  overdue: boolean
  outcome: string | null
  note: string | null
  contact: { name: string | null; waId: string | null } | null
}
const KINDS = ['access', 'portability', 'rectification', 'erasure', 'restriction', 'objection'] as const
const CHANNELS = ['whatsapp', 'email', 'letter', 'phone', 'web', 'in_person'] as const

/** One open request: deadline, identity check, extension (with reason), and the answer that closes it. */
function RequestRow({ r, act }: { r: DataRequest; act: (call: () => Promise<unknown>) => Promise<unknown> }) {
  const { t, i18n } = useTranslation()
  const [mode, setMode] = useState<'none' | 'extend' | 'complete' | 'refuse' | 'lift'>('none')
  const date = (d: string) => new Date(`${d}T12:00:00Z`).toLocaleDateString(i18n.language === 'en' ? 'en-GB' : 'de-DE', { dateStyle: 'medium' })
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const body = mode === 'extend' ? { months: Number(f.get('months')), reason: f.get('reason') } : mode === 'lift' ? { reason: f.get('reason') } : { outcome: f.get('outcome') }
    // Lifting a granted restriction asks for the person to be told first (a task below).
    const url = mode === 'lift' ? `/api/contacts/${r.contactId}/restriction/lift` : `/api/privacy/requests/${r.id}/${mode}`
    if (await act(() => api('POST', url, body))) setMode('none')
  }
  return (
    <tr className={r.overdue ? 'overdue' : undefined}>
      <td>{t(`privacy.kind.${r.kind}`)}</td>
      <td>
        {r.contact ? (r.contact.name ?? t('privacy.requests.unnamed')) : r.contactId ? t('privacy.requests.erasedPerson') : '—'}
        {r.contact?.waId && <span className="muted small"> +{r.contact.waId}</span>}
        {r.note && <div className="muted small note-text">{r.note}</div>}
      </td>
      <td>{t(`privacy.channel.${r.channel}`)}</td>
      <td>{new Date(r.receivedAt).toLocaleDateString(i18n.language === 'en' ? 'en-GB' : 'de-DE', { dateStyle: 'medium' })}</td>
      <td>
        {date(r.dueDate)}
        {r.extensionReason && <span className="muted small"> ({t('privacy.requests.extended')})</span>}
        <br />
        {r.status === 'open' ? (
          <span className={r.overdue ? 'badge-danger' : 'muted small'}>{r.overdue ? t('privacy.requests.overdueBy', { count: -r.daysLeft! }) : t('privacy.requests.daysLeft', { count: r.daysLeft! })}</span>
        ) : (
          <span className="muted small">{t(`privacy.status.${r.status}`)}</span>
        )}
      </td>
      <td>
        {r.status === 'open' && (
          <div className="row-actions">
            {!r.identityVerifiedAt ? (
              <button type="button" onClick={() => void act(() => api('POST', `/api/privacy/requests/${r.id}/verify-identity`))}>
                {t('privacy.requests.verify')}
              </button>
            ) : (
              <span className="ok small">{t('privacy.requests.verified')}</span>
            )}
            {!r.extensionReason && !r.overdue && (
              <button type="button" onClick={() => setMode('extend')}>
                {t('privacy.requests.extend')}
              </button>
            )}
            {r.kind === 'erasure' && r.contactId && r.identityVerifiedAt ? (
              <button type="button" onClick={() => window.confirm(t('privacy.requests.eraseConfirm')) && void act(() => api('POST', `/api/privacy/requests/${r.id}/erase`))}>
                {t('privacy.requests.erase')}
              </button>
            ) : (
              <button type="button" onClick={() => setMode('complete')}>
                {t('privacy.requests.complete')}
              </button>
            )}
            <button type="button" onClick={() => setMode('refuse')}>
              {t('privacy.requests.refuse')}
            </button>
          </div>
        )}
        {r.status === 'completed' && r.kind === 'restriction' && r.contactId && (
          <button type="button" onClick={() => setMode('lift')}>
            {t('privacy.requests.lift')}
          </button>
        )}
        {r.outcome && <p className="small outcome">{r.outcome}</p>}
        {mode !== 'none' && (
          <form className="card-form" onSubmit={submit} aria-label={t(`privacy.requests.${mode}`)}>
            {mode === 'lift' ? (
              <label>
                {t('privacy.requests.liftReason')}
                <textarea name="reason" required minLength={10} maxLength={2000} />
              </label>
            ) : mode === 'extend' ? (
              <>
                <label>
                  {t('privacy.requests.months')}
                  <select aria-label={t('privacy.requests.months')} name="months" defaultValue="2">
                    <option value="1">1</option>
                    <option value="2">2</option>
                  </select>
                </label>
                <label>
                  {t('privacy.requests.reason')}
                  <textarea name="reason" required minLength={10} maxLength={2000} />
                </label>
              </>
            ) : (
              <label>
                {t(mode === 'refuse' ? 'privacy.requests.refusal' : 'privacy.requests.outcome')}
                <textarea name="outcome" required minLength={10} maxLength={5000} />
              </label>
            )}
            <button type="submit">{t(`privacy.requests.${mode}`)}</button>
            <button type="button" className="link" onClick={() => setMode('none')}>
              {t('app.cancel')}
            </button>
          </form>
        )}
      </td>
    </tr>
  )
}

/** Data-subject requests (Art. 15–22): deadlines one month from receipt, overdue ones flagged. */
export function RequestsPage() {
  const { t } = useTranslation()
  const [showAll, setShowAll] = useState(false)
  const { items, error, act } = useList<DataRequest>(`/api/privacy/requests?status=${showAll ? 'all' : 'open'}`)
  const [formKey, setFormKey] = useState(0)
  // An action on a request (lifting a restriction) can add a task: the task list looks again.
  const [tasksVersion, setTasksVersion] = useState(0)
  const actOnRequest = async (call: () => Promise<unknown>) => {
    const r = await act(call)
    setTasksVersion((v) => v + 1)
    return r
  }
  const overdue = items.filter((r) => r.overdue).length

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const received = String(f.get('receivedAt') ?? '')
    const note = String(f.get('note') ?? '').trim()
    const number = String(f.get('number') ?? '').replace(/\D/g, '')
    const created = await act(async () => {
      // The request is linked to the contact with this WhatsApp number, if Postfach knows one.
      const contact = number ? (await api<Page<{ id: string }>>('GET', `/api/contacts?waId=${number}`)).items[0] : undefined
      if (number && !contact) throw new Error(t('privacy.requests.unknownNumber'))
      const body = { kind: f.get('kind'), channel: f.get('channel'), ...(contact ? { contactId: contact.id } : {}), ...(received ? { receivedAt: new Date(received).toISOString() } : {}), ...(note ? { note } : {}) }
      return api('POST', '/api/privacy/requests', body)
    })
    if (created) setFormKey((k) => k + 1)
  }

  return (
    <section aria-labelledby="requests-title">
      <h2 id="requests-title">{t('settings.requests.title')}</h2>
      <p className="muted small">{t('privacy.requests.intro')}</p>
      {overdue > 0 && (
        <p role="alert" className="error">
          {t('privacy.requests.overdueWarning', { count: overdue })}
        </p>
      )}
      <label className="inline-check">
        <input type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} /> {t('privacy.requests.showClosed')}
      </label>
      <RestrictionTasks version={tasksVersion} />
      {items.length === 0 ? (
        <p className="empty">{t('privacy.requests.none')}</p>
      ) : (
        <Table className="data-table">
          <TableHead columns={[t('privacy.requests.kind'), t('privacy.requests.person'), t('privacy.requests.channel'), t('privacy.requests.received'), t('privacy.requests.due'), t('privacy.requests.actions')]} />
          <tbody>
            {items.map((r) => (
              <RequestRow key={r.id} r={r} act={actOnRequest} />
            ))}
          </tbody>
        </Table>
      )}
      <form key={formKey} className="card-form" onSubmit={create} aria-label={t('privacy.requests.create')}>
        <h3>{t('privacy.requests.create')}</h3>
        <label>
          {t('privacy.requests.kind')}
          <select aria-label={t('privacy.requests.kind')} name="kind" defaultValue="access">
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`privacy.kind.${k}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('privacy.requests.channel')}
          <select aria-label={t('privacy.requests.channel')} name="channel" defaultValue="whatsapp">
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {t(`privacy.channel.${c}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('privacy.requests.number')}
          <input name="number" inputMode="tel" maxLength={30} placeholder="49151…" />
        </label>
        <label>
          {t('privacy.requests.receivedAt')}
          <input name="receivedAt" type="datetime-local" />
        </label>
        <label>
          {t('privacy.requests.note')}
          <input name="note" maxLength={2000} />
        </label>
        <button type="submit">{t('privacy.requests.createButton')}</button>
      </form>
      <ErrorLine error={error} />
      <ImportPackage />
    </section>
  )
}
