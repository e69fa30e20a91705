import { useCallback, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError } from '../../app/api'

type Status = { displayPhoneNumber: string | null; verifiedName: string | null; nameStatus: string | null; qualityRating: string | null; messagingLimit: string | null; throughput: string | null; checkedAt: string | null; live: boolean; error: string | null }

/** The number as Meta sees it: name and its approval, quality (green/yellow/red), messaging limit, throughput; refreshed on demand. */
export function NumberStatus() {
  const { t } = useTranslation()
  const [status, setStatus] = useState<Status | null>(null)
  const [error, setError] = useState<string | null>(null)
  const refresh = useCallback(() => void api<Status>('GET', '/api/channels/status').then(setStatus, (err) => setError(describeError(err))), [])
  useEffect(refresh, [refresh])
  if (!status) return error ? <p role="alert" className="error">{error}</p> : null
  const quality = (status.qualityRating ?? 'UNKNOWN').toLowerCase()
  return (
    <div className="card-form" aria-labelledby="number-status-title">
      <h3 id="number-status-title">{t('channel.status.title')}</h3>
      {!status.live && <p className="warning">{t('channel.status.stale', { detail: status.error })}</p>}
      <dl className="facts">
        <dt>{t('channel.status.name')}</dt>
        <dd>
          {status.verifiedName ?? '–'} ({t(`channel.status.names.${status.nameStatus ?? 'UNKNOWN'}`, { defaultValue: status.nameStatus ?? '–' })})
        </dd>
        <dt>{t('channel.status.quality')}</dt>
        <dd>
          <span className={`quality quality-${quality}`}>{t(`channel.status.qualities.${quality}`, { defaultValue: quality })}</span>
        </dd>
        <dt>{t('channel.status.limit')}</dt>
        <dd>{status.messagingLimit ?? '–'}</dd>
        <dt>{t('channel.status.throughput')}</dt>
        <dd>{status.throughput ?? '–'}</dd>
      </dl>
      <button type="button" onClick={refresh}>
        {t('channel.status.refresh')}
      </button>
    </div>
  )
}
