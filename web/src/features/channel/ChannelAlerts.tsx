import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../../app/api'

export type ChannelAlert = { id: string; field: string; subject: string; event: string; detail: Record<string, unknown>; occurredAt: string }

const FIRST_CHECK_MS = 2000
const EVERY_MS = 60_000

/** What an alert is about, in words: the template's name, or the number. */
export function describeAlert(a: ChannelAlert, t: (k: string, o?: Record<string, unknown>) => string): string {
  const name = a.subject.replace(/^template:/, '').replace(/\/.*/, '')
  const detail = String(a.detail.reason ?? a.detail.description ?? a.detail.currentLimit ?? '')
  const key =
    a.field === 'message_template_status_update' ? `channel.alerts.template.${a.event}`
    : a.field === 'message_template_quality_update' ? 'channel.alerts.templateQuality'
    : a.field === 'phone_number_quality_update' ? 'channel.alerts.numberQuality'
    : a.field === 'phone_number_name_update' ? 'channel.alerts.nameRejected'
    : 'channel.alerts.account'
  return t(key, { name, detail, event: a.event })
}

/** For admins, on every screen: what Meta reported that needs a look (rejected templates, quality drops, a rejected name), until acknowledged. */
export function ChannelAlerts() {
  const { t } = useTranslation()
  const [alerts, setAlerts] = useState<ChannelAlert[]>([])
  const load = () => void api<{ items: ChannelAlert[] }>('GET', '/api/channels/alerts').then((r) => setAlerts(r.items), () => undefined)
  useEffect(() => {
    const first = setTimeout(load, FIRST_CHECK_MS)
    const every = setInterval(load, EVERY_MS)
    return () => {
      clearTimeout(first)
      clearInterval(every)
    }
  }, [])
  if (alerts.length === 0) return null
  return (
    <div role="alert" className="banner-warning" aria-label={t('channel.alerts.title')}>
      <strong>{t('channel.alerts.title')}</strong>
      <ul>
        {alerts.map((a) => (
          <li key={a.id}>
            {describeAlert(a, t)}{' '}
            <button type="button" className="link small" onClick={() => void api('POST', `/api/channels/alerts/${a.id}/acknowledge`).then(load, () => undefined)}>
              {t('channel.alerts.acknowledge')}
            </button>
          </li>
        ))}
      </ul>
    </div>
  )
}
