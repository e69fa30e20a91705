import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { describeError, sendFile } from '../../app/api'
import { ErrorLine } from '../settings/useList'

type Summary = { contactId: string; conversationId: string; messages: number; media: number; statuses: number; consentsNotCarriedOver: number; suppressed: boolean }

/** Portability, receiving side (GDPR-20): an admin takes over a person's data package from another Postfach. */
export function ImportPackage() {
  const { t } = useTranslation()
  const [result, setResult] = useState<Summary | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const file = new FormData(e.currentTarget).get('package')
    if (!(file instanceof File) || file.size === 0) return setError(t('privacy.import.choose'))
    setBusy(true)
    setError(null)
    setResult(null)
    try {
      // Browsers name ZIP files differently (application/x-zip-compressed on Windows): sent as what it is.
      setResult(await sendFile<Summary>('POST', '/api/contacts/import', file, 'application/zip'))
    } catch (err) {
      setError(describeError(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="card-form" onSubmit={submit} aria-label={t('privacy.import.title')}>
      <h3>{t('privacy.import.title')}</h3>
      <p className="muted small">{t('privacy.import.intro')}</p>
      <label>
        {t('privacy.import.file')}
        <input type="file" name="package" accept=".zip,application/zip" />
      </label>
      <button type="submit" disabled={busy}>
        {t('privacy.import.submit')}
      </button>
      {result && (
        <p role="status" className="ok">
          {t('privacy.import.done', { messages: result.messages, media: result.media, consents: result.consentsNotCarriedOver })}{' '}
          <a href={`#/inbox/${result.conversationId}`}>{t('privacy.import.open')}</a>
        </p>
      )}
      <ErrorLine error={error} />
    </form>
  )
}
