import { useCallback, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError, type Page } from '../../app/api'
import { ErrorLine } from '../settings/useList'
import { EmptyRow, Table, TableHead } from '../../ui/TableHead'

type AuditEntry = { id: string; at: string; actorId: string | null; actorKind: string; actorRole: string | null; action: string; contactId: string | null; target: string; ip: string | null }

/** Who read, exported, changed or erased personal data, newest first; nobody can edit it. */
export function AuditLogPage() {
  const { t, i18n } = useTranslation()
  const [items, setItems] = useState<AuditEntry[] | null>(null)
  const [next, setNext] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const load = useCallback(async (cursor: string | null) => {
    try {
      const page = await api<Page<AuditEntry>>('GET', `/api/audit?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      setItems((prev) => (cursor ? [...(prev ?? []), ...page.items] : page.items))
      setNext(page.nextCursor)
    } catch (e) {
      setError(describeError(e))
    }
  }, [])
  useEffect(() => void load(null), [load])
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">{t('settings.audit.title')}</h2>
      <p className="muted small">{t('privacy.audit.intro')}</p>
      <Table className="data-table">
        <TableHead columns={[t('privacy.audit.at'), t('privacy.audit.action'), t('privacy.audit.actor'), t('privacy.audit.target'), t('privacy.audit.ip')]} />
        <tbody>
          {items?.length === 0 && <EmptyRow columns={5}>{t('privacy.audit.none')}</EmptyRow>}
          {(items ?? []).map((a) => (
            <tr key={a.id}>
              <td>{new Date(a.at).toLocaleString(i18n.language === 'en' ? 'en-GB' : 'de-DE')}</td>
              <td>{t(`privacy.action.${a.action.replace('.', '_')}`, { defaultValue: a.action })}</td>
              <td>{a.actorRole ? t(`role.${a.actorRole}`) : t('privacy.audit.system')}</td>
              <td className="small">{a.target}</td>
              <td className="small">{a.ip ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      {next && (
        <button type="button" onClick={() => void load(next)}>
          {t('privacy.audit.more')}
        </button>
      )}
      <ErrorLine error={error} />
    </section>
  )
}
