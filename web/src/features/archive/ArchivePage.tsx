import { type FormEvent, useCallback, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError } from '../../app/api'
import { useWorkspace } from '../../app/workspace'
import { ErrorLine, useList } from '../settings/useList'
import { ArchiveSearch } from './ArchiveSearch'
import { formatDate } from '../inbox/format'
import { useWhen } from './useWhen'
import { Table, TableHead } from '../../ui/TableHead'

type Status = {
  size: number
  pending: number
  latestCheckpoint: { size: number; rootHash: string; createdAt: string } | null
  integrity: { ok: boolean; checkedAt: string | null; provenSize: number; breachId: string | null; problems: { code: string; leafIndex?: number; checkpointSize?: number; problem: string; [param: string]: unknown }[] }
  keyName: string
}
type Hold = { id: string; scope: 'contact' | 'conversation' | 'period'; contactId: string | null; conversationId: string | null; from: string | null; to: string | null; reason: string; createdAt: string; releasedAt: string | null; releaseReason: string | null }

/** The log's state and the continuous verifier's verdict, with a check on demand. */
function IntegrityCard() {
  const { t } = useTranslation()
  const when = useWhen()
  const [status, setStatus] = useState<Status | null>(null)
  const [error, setError] = useState<string | null>(null)
  const load = useCallback(async (check: boolean) => {
    setError(null)
    try {
      setStatus(await api<Status>('GET', `/api/archive/status${check ? '?check=1' : ''}`))
    } catch (e) {
      setError(describeError(e))
    }
  }, [])
  useEffect(() => void load(true), [load])
  if (!status) return <ErrorLine error={error} />
  const i = status.integrity
  return (
    <section className="card" aria-labelledby="archive-integrity">
      <h3 id="archive-integrity">{t('archive.integrity.title')}</h3>
      {i.ok ? (
        <p className="ok">{status.latestCheckpoint ? t('archive.integrity.ok', { size: status.latestCheckpoint.size.toLocaleString() }) : t('archive.integrity.okFirstCheckpoint')}</p>
      ) : (
        <div role="alert" className="error">
          <p>{t('archive.integrity.failed')}</p>
          <ul className="small">
            {i.problems.slice(0, 10).map((p, n) => (
              <li key={n}>
                {p.leafIndex !== undefined ? t('archive.integrity.entry', { n: p.leafIndex }) : p.checkpointSize !== undefined ? t('archive.integrity.checkpoint', { n: p.checkpointSize }) : ''} {t(`archive.problems.${p.code}`, { ...p, defaultValue: p.problem })}
              </li>
            ))}
          </ul>
          {i.breachId && <a href="#/settings/breaches">{t('archive.integrity.breach')}</a>}
        </div>
      )}
      <dl className="facts small">
        <dt>{t('archive.integrity.entries')}</dt>
        <dd>{status.size.toLocaleString()}</dd>
        <dt>{t('archive.integrity.pending')}</dt>
        <dd>{status.pending.toLocaleString()}</dd>
        <dt>{t('archive.integrity.latest')}</dt>
        <dd>{status.latestCheckpoint ? `${status.latestCheckpoint.size.toLocaleString()} · ${when(status.latestCheckpoint.createdAt)} · ${status.latestCheckpoint.rootHash.slice(0, 16)}…` : '–'}</dd>
        <dt>{t('archive.integrity.checkedAt')}</dt>
        <dd>{i.checkedAt ? when(i.checkedAt) : '–'}</dd>
        <dt>{t('archive.integrity.key')}</dt>
        <dd>
          <code>{status.keyName}</code>
        </dd>
      </dl>
      <p className="small">
        <button type="button" onClick={() => void load(true)}>
          {t('archive.integrity.checkNow')}
        </button>{' '}
        <a href="/api/archive/checkpoint" target="_blank" rel="noreferrer">
          {t('archive.integrity.checkpointLink')}
        </a>{' '}
        · <a href="/api/archive/public-key">{t('archive.integrity.keyLink')}</a> · <a href="/api/archive/procedure" target="_blank" rel="noreferrer">{t('archive.integrity.procedure')}</a> (
        <a href="/api/archive/procedure?format=pdf" target="_blank" rel="noreferrer">PDF</a>)
      </p>
      <ErrorLine error={error} />
    </section>
  )
}

/** The audit period the tax auditor is limited to (GoBD Z1); only admins change it. */
function AuditScopeCard({ admin }: { admin: boolean }) {
  const { t } = useTranslation()
  const [scope, setScope] = useState<{ from: string; to: string } | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)
  useEffect(() => {
    void api<{ scope: { from: string; to: string } | null }>('GET', '/api/archive/audit-scope').then((r) => setScope(r.scope), (e: unknown) => setError(describeError(e)))
  }, [])
  async function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const next = { from: String(f.get('from')), to: String(f.get('to')) }
    setError(null)
    try {
      await api('PUT', '/api/archive/audit-scope', next)
      setScope(next)
      setSaved(true)
    } catch (err) {
      setError(describeError(err))
    }
  }
  return (
    <section className="card" aria-labelledby="archive-scope">
      <h3 id="archive-scope">{t('archive.scope.title')}</h3>
      <p className="muted small">{t('archive.scope.intro')}</p>
      {admin ? (
        <form className="card-form inline" onSubmit={save} aria-label={t('archive.scope.title')}>
          <label>
            {t('archive.from')}
            <input type="date" name="from" required defaultValue={scope?.from ?? ''} key={`f${scope?.from}`} />
          </label>
          <label>
            {t('archive.to')}
            <input type="date" name="to" required defaultValue={scope?.to ?? ''} key={`t${scope?.to}`} />
          </label>
          <button type="submit">{t('settings.save')}</button>
          {saved && <span className="ok">{t('settings.saved')}</span>}
        </form>
      ) : (
        <p>{scope ? t('archive.scope.current', { from: formatDate(scope.from), to: formatDate(scope.to) }) : t('archive.scope.none')}</p>
      )}
      <ErrorLine error={error} />
    </section>
  )
}

/** Legal holds (GoBD Ablaufhemmung): while one is active nothing it covers is deleted or shredded. */
function HoldsCard({ admin }: { admin: boolean }) {
  const { t } = useTranslation()
  const when = useWhen()
  const { items, error, act } = useList<Hold>('/api/archive/holds')
  const [scope, setScope] = useState<Hold['scope']>('period')
  const [formKey, setFormKey] = useState(0)
  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const reason = f.get('reason')
    const body =
      scope === 'period'
        ? { scope, reason, from: new Date(String(f.get('from'))).toISOString(), to: new Date(`${String(f.get('to'))}T23:59:59`).toISOString() }
        : scope === 'contact'
          ? { scope, reason, contactId: f.get('target') }
          : { scope, reason, conversationId: f.get('target') }
    if (await act(() => api('POST', '/api/archive/holds', body))) setFormKey((k) => k + 1)
  }
  async function release(h: Hold) {
    const reason = window.prompt(t('archive.holds.releaseReason'))
    if (reason) await act(() => api('POST', `/api/archive/holds/${h.id}/release`, { reason }))
  }
  return (
    <section className="card" aria-labelledby="archive-holds">
      <h3 id="archive-holds">{t('archive.holds.title')}</h3>
      <p className="muted small">{t('archive.holds.intro')}</p>
      {items.length === 0 ? (
        <p className="empty">{t('archive.holds.none')}</p>
      ) : (
        <Table className="data-table">
          <TableHead columns={[t('archive.holds.scope'), t('archive.holds.reason'), t('archive.holds.since'), t('archive.holds.state')]} />
          <tbody>
            {items.map((h) => (
              <tr key={h.id}>
                <td>{h.scope === 'period' ? t('archive.holds.periodValue', { from: h.from ? formatDate(h.from) : '', to: h.to ? formatDate(h.to) : '' }) : `${t(`archive.holds.scopes.${h.scope}`)} ${(h.contactId ?? h.conversationId ?? '').slice(0, 8)}…`}</td>
                <td>{h.reason}</td>
                <td>{when(h.createdAt)}</td>
                <td>
                  {h.releasedAt ? (
                    <span className="muted">{t('archive.holds.released', { at: when(h.releasedAt) })}</span>
                  ) : admin ? (
                    <button type="button" onClick={() => void release(h)}>
                      {t('archive.holds.release')}
                    </button>
                  ) : (
                    <span className="badge">{t('archive.holds.active')}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {admin && (
        <form key={formKey} className="card-form" onSubmit={create} aria-label={t('archive.holds.create')}>
          <h4>{t('archive.holds.create')}</h4>
          <label>
            {t('archive.holds.scope')}
            <select aria-label={t('archive.holds.scope')} value={scope} onChange={(e) => setScope(e.target.value as Hold['scope'])}>
              {(['period', 'contact', 'conversation'] as const).map((s) => (
                <option key={s} value={s}>
                  {t(`archive.holds.scopes.${s}`)}
                </option>
              ))}
            </select>
          </label>
          {scope === 'period' ? (
            <>
              <label>
                {t('archive.from')}
                <input type="date" name="from" required />
              </label>
              <label>
                {t('archive.to')}
                <input type="date" name="to" required />
              </label>
            </>
          ) : (
            <label>
              {t(`archive.holds.target.${scope}`)}
              <input name="target" required maxLength={100} />
            </label>
          )}
          <label>
            {t('archive.holds.reason')}
            <input name="reason" required minLength={5} maxLength={1000} />
          </label>
          <button type="submit">{t('archive.holds.createButton')}</button>
        </form>
      )}
      <ErrorLine error={error} />
    </section>
  )
}

/** Settings → Archive: integrity, the audit period, legal holds, and the auditor's search and Z3 export. */
export function ArchivePage() {
  const { t } = useTranslation()
  const { user } = useWorkspace()
  const admin = user.role === 'admin'
  return (
    <section aria-labelledby="archive-title">
      <h2 id="archive-title">{t('settings.archive.title')}</h2>
      <p className="muted small">{t('archive.intro')}</p>
      <IntegrityCard />
      <AuditScopeCard admin={admin} />
      <ArchiveSearch />
      <HoldsCard admin={admin} />
    </section>
  )
}
