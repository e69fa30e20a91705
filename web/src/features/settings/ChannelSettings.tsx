import { type FormEvent, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../../app/api'
import { NumberStatus } from '../channel/NumberStatus'
import { ErrorLine, useList } from './useList'

type Channel = { id: string; wabaId: string; displayPhoneNumber: string | null; paused: { reason: string; since: string } | null }
type Connection = { phoneNumberId: string; wabaId: string; verifyToken: string; webhookUrl: string; source: 'environment' | 'database' | 'simulator' }
type TestResult = { ok: boolean; displayPhoneNumber: string | null; verifiedName: string | null; qualityRating: string | null; error: string | null }

function Copyable({ label, value }: { label: string; value: string }) {
  const { t } = useTranslation()
  const [copied, setCopied] = useState(false)
  return (
    <div className="copyable">
      <span className="muted small">{label}</span>
      <code>{value}</code>
      <button type="button" onClick={() => void navigator.clipboard?.writeText(value).then(() => setCopied(true))} aria-label={t('settings.channel.copy', { what: label })}>
        {copied ? t('settings.channel.copied') : t('settings.channel.copyShort')}
      </button>
    </div>
  )
}

/**
 * The WhatsApp number: what to paste into Meta's app dashboard (webhook URL, verify token), a live
 * connection test, and resuming sends paused by a token error. Secrets are never shown here.
 */
export function ChannelSettings() {
  const { t } = useTranslation()
  const { items, error, act } = useList<Channel>('/api/channels')
  const [connection, setConnection] = useState<Connection | null>(null)
  const [test, setTest] = useState<TestResult | null>(null)
  const channel = items[0]

  useEffect(() => {
    if (channel) void api<Connection>('GET', `/api/channels/${channel.id}/connection`).then(setConnection, () => undefined)
  }, [channel])

  async function saveCredentials(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const form = e.currentTarget
    const f = Object.fromEntries(new FormData(form)) as Record<string, string>
    const saved = await act(() => api<Connection>('PUT', '/api/channels/credentials', { ...f, apiBaseUrl: f.apiBaseUrl || undefined }))
    if (saved) {
      setConnection(saved)
      form.reset()
    }
  }

  return (
    <section aria-labelledby="channel-title">
      <h2 id="channel-title">{t('settings.channel.title')}</h2>
      {!channel && <p className="muted">{t('settings.channel.none')}</p>}
      {channel && (
        <>
          <p>
            {t('settings.channel.number')}: <strong>{channel.displayPhoneNumber ?? channel.id}</strong> · {t('settings.channel.phoneNumberId')}: <code>{channel.id}</code>
          </p>
          {connection?.source === 'simulator' && <p className="notice">{t('settings.channel.simulator')}</p>}
          {connection && (
            <>
              <Copyable label={t('settings.channel.webhookUrl')} value={connection.webhookUrl} />
              <Copyable label={t('settings.channel.verifyToken')} value={connection.verifyToken} />
            </>
          )}
          <p className="muted small">{t('settings.channel.secrets')}</p>
          {channel.paused && (
            <div className="notice error" role="alert">
              <p>{t('settings.channel.paused', { reason: channel.paused.reason })}</p>
              <button type="button" onClick={() => void act(() => api('POST', `/api/channels/${channel.id}/resume`))}>
                {t('settings.channel.resume')}
              </button>
            </div>
          )}
          <button type="button" onClick={() => void act(async () => setTest(await api<TestResult>('POST', `/api/channels/${channel.id}/test`)))}>
            {t('settings.channel.test')}
          </button>
          {test && (
            <p role="status" className={test.ok ? 'ok' : 'error'}>
              {test.ok ? t('settings.channel.testOk', { name: test.verifiedName ?? '', number: test.displayPhoneNumber ?? '', quality: test.qualityRating ?? '?' }) : t('settings.channel.testFailed', { error: test.error })}
            </p>
          )}
        </>
      )}
      <NumberStatus />
      {connection && connection.source !== 'environment' && (
        <form className="card-form" onSubmit={saveCredentials} aria-label={t('settings.channel.credentials')}>
          <h3>{t('settings.channel.credentials')}</h3>
          <p className="muted small">{t('settings.channel.credentialsHint')}</p>
          <label>
            {t('settings.channel.phoneNumberId')}
            <input name="phoneNumberId" required inputMode="numeric" pattern="\d{5,25}" autoComplete="off" />
          </label>
          <label>
            {t('settings.channel.wabaId')}
            <input name="businessAccountId" required inputMode="numeric" pattern="\d{5,25}" autoComplete="off" />
          </label>
          <label>
            {t('settings.channel.accessToken')}
            <input name="accessToken" type="password" required minLength={20} autoComplete="off" />
          </label>
          <label>
            {t('settings.channel.appSecret')}
            <input name="appSecret" type="password" required minLength={16} autoComplete="off" />
          </label>
          <label>
            {t('settings.channel.newVerifyToken')}
            <input name="verifyToken" required minLength={8} autoComplete="off" />
          </label>
          <label>
            {t('settings.channel.apiBaseUrl')}
            <input name="apiBaseUrl" type="url" placeholder="https://graph.facebook.com/v26.0" />
          </label>
          <button type="submit">{t('settings.channel.saveCredentials')}</button>
        </form>
      )}
      {connection?.source === 'environment' && <p className="muted small">{t('settings.channel.fromEnvironment')}</p>}
      <ErrorLine error={error} />
    </section>
  )
}

