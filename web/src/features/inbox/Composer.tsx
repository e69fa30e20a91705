import { type FormEvent, type KeyboardEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, ApiError } from '../../app/api'

const MAX = 4096

/** Free text while the 24-hour window is open; otherwise only a template can be sent. */
export function Composer({ conversationId, windowOpen, onSent }: { conversationId: string; windowOpen: boolean; onSent: () => void }) {
  const { t } = useTranslation()
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const tooMany = text.length - MAX

  async function send(body: unknown) {
    setBusy(true)
    setError(null)
    try {
      await api('POST', `/api/conversations/${conversationId}/messages`, body)
      onSent()
      return true
    } catch (err) {
      setError(t('composer.error', { detail: err instanceof ApiError ? err.message : String(err) }))
      return false
    } finally {
      setBusy(false)
    }
  }

  async function submitText(e?: FormEvent) {
    e?.preventDefault()
    const body = text.trim()
    if (!body || tooMany > 0 || busy) return
    if (await send({ type: 'text', text: { body } })) setText('')
  }

  function onKey(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault()
      void submitText()
    }
  }

  async function submitTemplate(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    await send({ type: 'template', template: { name: String(form.get('name')), language: { code: String(form.get('language')) } } })
  }

  if (!windowOpen) {
    return (
      <form className="composer closed" onSubmit={submitTemplate}>
        <p className="muted">{t('composer.closed')}</p>
        <label>
          {t('composer.templateName')}
          <input name="name" required pattern="[a-z0-9_]+" defaultValue="hello_world" />
        </label>
        <label>
          {t('composer.templateLanguage')}
          <input name="language" required defaultValue="en_US" size={6} />
        </label>
        <button type="submit" disabled={busy}>
          {t('composer.sendTemplate')}
        </button>
        {error && <p role="alert" className="error">{error}</p>}
      </form>
    )
  }
  return (
    <form className="composer" onSubmit={submitText}>
      <label htmlFor="composer-text" className="visually-hidden">
        {t('composer.label')}
      </label>
      <textarea id="composer-text" value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} placeholder={t('composer.placeholder')} rows={2} aria-invalid={tooMany > 0} aria-describedby="composer-hint" />
      <button type="submit" disabled={busy || !text.trim() || tooMany > 0}>
        {t('composer.send')}
      </button>
      <div id="composer-hint" aria-live="polite">
        {tooMany > 0 && <p className="error">{t('composer.tooLong', { count: tooMany })}</p>}
        {error && <p role="alert" className="error">{error}</p>}
      </div>
    </form>
  )
}
