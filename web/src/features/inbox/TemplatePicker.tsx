import { type FormEvent, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError, type Conversation, type Page, type Template } from '../../app/api'
import { TemplateOptions } from '../../ui/Options'
import { TemplatePreview } from '../../ui/TemplatePreview'

/**
 * When the 24-hour window is closed only an approved template can be sent: pick one, fill its
 * variables, see the message as the customer will, send.
 */
export function TemplatePicker({ conversation: c, onSent }: { conversation: Conversation; onSent: () => void }) {
  const { t } = useTranslation()
  const [templates, setTemplates] = useState<Template[]>([])
  const [selected, setSelected] = useState(0)
  const [values, setValues] = useState<string[]>([])
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    void api<Page<Template>>('GET', '/api/templates').then(
      (p) => setTemplates(p.items),
      (err: Error) => setError(err.message),
    )
  }, [])
  const template = templates[selected]

  async function submit(e: FormEvent) {
    e.preventDefault()
    if (!template) return
    setBusy(true)
    setError(null)
    try {
      const parameters = values.slice(0, template.variables).map((text) => ({ type: 'text', text }))
      await api('POST', `/api/conversations/${c.id}/messages`, {
        type: 'template',
        template: { name: template.name, language: { code: template.language }, ...(parameters.length ? { components: [{ type: 'body', parameters }] } : {}) },
      })
      setValues([])
      onSent()
    } catch (err) {
      setError(t('composer.error', { detail: describeError(err) }))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="template-picker" onSubmit={submit} aria-label={t('template.title')}>
      <p className="muted small">{t('composer.closed')}</p>
      <label>
        {t('template.choose')}
        <select aria-label={t('template.choose')} value={selected} onChange={(e) => { setSelected(Number(e.target.value)); setValues([]) }}>
          <TemplateOptions templates={templates} />
        </select>
      </label>
      {template &&
        Array.from({ length: template.variables }, (_, i) => (
          <label key={i}>
            {t('template.variable', { placeholder: `{{${i + 1}}}` })}
            <input required maxLength={1024} value={values[i] ?? ''} onChange={(e) => setValues((v) => Object.assign([...v], { [i]: e.target.value }))} />
          </label>
        ))}
      {template && <TemplatePreview template={template} values={values} />}
      <button type="submit" disabled={busy || !template}>
        {t('composer.sendTemplate')}
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </form>
  )
}
