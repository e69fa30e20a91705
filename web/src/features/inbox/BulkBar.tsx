import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError } from '../../app/api'
import { useWorkspace } from '../../app/workspace'
import { ErrorLine } from '../settings/useList'
import { AssigneeOptions } from './AssigneeOptions'
import { SnoozeMenu } from './SnoozeMenu'

/**
 * Above the list while conversations are being picked: how many, all of the loaded ones at once,
 * and what to do with them (resolve, snooze, assign, label). One request changes all of them or none.
 */
export function BulkBar(props: { picked: string[]; loaded: string[]; onPick: (ids: string[]) => void; onDone: () => void; onCancel: () => void }) {
  const { t } = useTranslation()
  const { labels } = useWorkspace()
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const count = props.picked.length
  const allPicked = props.loaded.length > 0 && props.loaded.every((id) => props.picked.includes(id))

  async function apply(change: object) {
    if (count === 0 || busy) return
    setBusy(true)
    setError(null)
    try {
      await api('POST', '/api/conversations/bulk', { ids: props.picked, ...change })
      props.onDone()
    } catch (err) {
      setError(t('inbox.bulk.error', { detail: describeError(err) }))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="bulk-bar" role="toolbar" aria-label={t('inbox.bulk.toolbar')}>
      <label className="check">
        <input type="checkbox" checked={allPicked} onChange={(e) => props.onPick(e.target.checked ? props.loaded : [])} />
        {t('inbox.bulk.count', { count })}
      </label>
      <div className="bulk-actions">
        <button type="button" disabled={count === 0 || busy} onClick={() => void apply({ status: 'resolved' })}>
          {t('inbox.resolve')}
        </button>
        <SnoozeMenu disabled={count === 0 || busy} onSnooze={(until) => void apply({ status: 'pending', pendingUntil: until })} />
        <select aria-label={t('inbox.bulk.assign')} value="" disabled={count === 0 || busy} onChange={(e) => void apply({ assigneeId: e.target.value === 'none' ? null : e.target.value })}>
          <option value="" disabled>
            {t('inbox.bulk.assign')}
          </option>
          <AssigneeOptions />
          <option value="none">{t('inbox.unassigned')}</option>
        </select>
        {labels.length > 0 && (
          <select aria-label={t('inbox.bulk.label')} value="" disabled={count === 0 || busy} onChange={(e) => void apply({ labelId: e.target.value })}>
            <option value="" disabled>
              {t('inbox.bulk.label')}
            </option>
            {labels.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
        )}
        <button type="button" className="link" onClick={props.onCancel}>
          {t('inbox.bulk.cancel')}
        </button>
      </div>
      <ErrorLine error={error} />
    </div>
  )
}
