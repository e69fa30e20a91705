import { type FormEvent, useEffect, useMemo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError } from '../../app/api'
import { QrCode } from '../../ui/QrCode'
import { formatWhen } from '../inbox/format'
import { ErrorLine } from './useList'

type Status = { enabled: boolean; enabledAt: string | null; recoveryCodesLeft: number }
type Setup = { secret: string; uri: string }

/** From how few recovery codes on the page asks for new ones (a lost phone must not find none left). */
const LOW_CODES = 2

/** The secret as people type it into an app by hand: groups of four. */
const grouped = (secret: string) => secret.match(/.{1,4}/g)!.join(' ')

/**
 * Two-factor login: set up with an authenticator app (password, scan, confirm with a code), then
 * the recovery codes once; new codes or switching off ask for the password again.
 */
export function TwoFactorSettings({ email, onOthersSignedOut, onCodesSaved }: { email: string; onOthersSignedOut?: () => void; onCodesSaved?: () => void }) {
  const { t } = useTranslation()
  const [status, setStatus] = useState<Status | null>(null)
  const [setup, setSetup] = useState<Setup | null>(null)
  const [codes, setCodes] = useState<string[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [formKey, setFormKey] = useState(0)

  const load = () => api<Status>('GET', '/api/auth/two-factor').then(setStatus, (err) => setError(describeError(err)))
  useEffect(() => void load(), [])

  /** Runs a step of the flow from a form: busy while it runs, its error shown, the form cleared after. */
  const step = (run: (form: FormData) => Promise<void>) => async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    setBusy(true)
    setError(null)
    try {
      await run(form)
      setFormKey((k) => k + 1)
    } catch (err) {
      setError(describeError(err))
    } finally {
      setBusy(false)
    }
  }
  const password = (form: FormData) => ({ currentPassword: form.get('currentPassword') })
  const begin = step(async (f) => {
    setCodes(null)
    setSetup(await api<Setup>('POST', '/api/auth/two-factor/setup', password(f)))
  })
  const confirm = step(async (f) => {
    setCodes((await api<{ recoveryCodes: string[] }>('POST', '/api/auth/two-factor/enable', { code: String(f.get('code')).replace(/\s/g, '') })).recoveryCodes)
    setSetup(null)
    onOthersSignedOut?.()
    await load()
  })
  const renew = step(async (f) => {
    setCodes((await api<{ recoveryCodes: string[] }>('POST', '/api/auth/two-factor/recovery-codes', password(f))).recoveryCodes)
    await load()
  })
  const disable = step(async (f) => {
    await api('POST', '/api/auth/two-factor/disable', password(f))
    setCodes(null)
    await load()
  })

  const passwordField = (
    <label>
      {t('settings.account.current')}
      <input name="currentPassword" type="password" autoComplete="current-password" required maxLength={1024} />
    </label>
  )
  return (
    <div className="two-factor">
      <h3>{t('settings.twoFactor.title')}</h3>
      <p className="muted small">{t('settings.twoFactor.intro')}</p>
      {status?.enabled && (
        <p role="status" className={status.recoveryCodesLeft <= LOW_CODES ? 'error' : 'ok'}>
          {t('settings.twoFactor.on', { since: formatWhen(status.enabledAt!), count: status.recoveryCodesLeft })}
          {status.recoveryCodesLeft <= LOW_CODES && ` ${t('settings.twoFactor.fewCodes')}`}
        </p>
      )}
      {codes && (
        <RecoveryCodes
          codes={codes}
          email={email}
          onDone={() => {
            setCodes(null)
            onCodesSaved?.()
          }}
        />
      )}
      {status && !status.enabled && !setup && (
        <form key={formKey} className="card-form" onSubmit={begin} aria-label={t('settings.twoFactor.begin')}>
          {passwordField}
          <button type="submit" disabled={busy}>
            {t('settings.twoFactor.begin')}
          </button>
        </form>
      )}
      {setup && (
        <form key={formKey} className="card-form" onSubmit={confirm} aria-label={t('settings.twoFactor.confirm')}>
          <p>{t('settings.twoFactor.scan')}</p>
          <QrCode text={setup.uri} label={t('settings.twoFactor.qr')} />
          <p className="small">
            {t('settings.twoFactor.manual')}
            <br />
            <code className="secret totp-key" data-testid="totp-secret">
              {grouped(setup.secret)}
            </code>
          </p>
          <label>
            {t('settings.twoFactor.code')}
            <input name="code" inputMode="numeric" autoComplete="one-time-code" pattern="\s*(\d\s*){6}" required maxLength={12} />
          </label>
          <div className="row-actions">
            <button type="submit" disabled={busy}>
              {t('settings.twoFactor.confirm')}
            </button>
            <button type="button" onClick={() => setSetup(null)}>
              {t('app.cancel')}
            </button>
          </div>
        </form>
      )}
      {status?.enabled && (
        <div className="two-factor-forms">
          <form key={`renew-${formKey}`} className="card-form" onSubmit={renew} aria-label={t('settings.twoFactor.renew')}>
            {passwordField}
            <button type="submit" disabled={busy}>
              {t('settings.twoFactor.renew')}
            </button>
          </form>
          <form key={`off-${formKey}`} className="card-form" onSubmit={disable} aria-label={t('settings.twoFactor.disable')}>
            {passwordField}
            <button type="submit" className="danger" disabled={busy}>
              {t('settings.twoFactor.disable')}
            </button>
          </form>
        </div>
      )}
      <ErrorLine error={error} />
    </div>
  )
}

/** The recovery codes, shown once: to print, download or copy before leaving the page. */
function RecoveryCodes({ codes, email, onDone }: { codes: string[]; email: string; onDone: () => void }) {
  const { t } = useTranslation()
  const file = useMemo(() => URL.createObjectURL(new Blob([`${t('settings.twoFactor.fileTitle', { email })}\n\n${codes.join('\n')}\n`], { type: 'text/plain' })), [codes, t, email])
  useEffect(() => () => URL.revokeObjectURL(file), [file])
  return (
    <div className="notice" role="region" aria-label={t('settings.twoFactor.codes')}>
      <p>{t('settings.twoFactor.codesOnce')}</p>
      <ul className="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <div className="row-actions">
        <a className="button" href={file} download={t('settings.twoFactor.fileName')}>
          {t('settings.twoFactor.download')}
        </a>
        <button type="button" onClick={onDone}>
          {t('settings.twoFactor.saved')}
        </button>
      </div>
    </div>
  )
}
