import { type FormEvent, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError, type Page, type Template } from '../../app/api'
import { useWorkspace } from '../../app/workspace'
import { ErrorLine } from '../settings/useList'
import { PurposeOptions, TemplateOptions } from '../../ui/Options'
import { TemplatePreview } from '../../ui/TemplatePreview'

type Purpose = { key: string; label: { de: string; en: string } }
type Audience = { labelIds: string[]; countryCode?: string }
export type Preview = { matched: number; eligible: number; excluded: Record<string, number> }

/** A template's values to start from: the first is the contact's name (filled in per recipient) unless changed. */
const FIRST_VALUES = ['{{contact.name}}']

/** A new campaign: template, purpose, audience; the preview counts who gets it and who is left out why. */
export function CampaignForm({ onCreated }: { onCreated: () => void }) {
  const { t } = useTranslation()
  const { labels } = useWorkspace()
  const [templates, setTemplates] = useState<Template[]>([])
  const [purposes, setPurposes] = useState<Purpose[]>([])
  const [template, setTemplate] = useState(0)
  const [values, setValues] = useState<string[]>(FIRST_VALUES)
  const [purpose, setPurpose] = useState('marketing')
  const [labelIds, setLabelIds] = useState<string[]>([])
  const [countryCode, setCountryCode] = useState('')
  const [preview, setPreview] = useState<Preview | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    void api<Page<Template>>('GET', '/api/templates').then((p) => setTemplates(p.items.filter((x) => x.category === 'MARKETING')), (err) => setError(describeError(err)))
    void api<Page<Purpose>>('GET', '/api/consent/purposes').then((p) => setPurposes(p.items), () => undefined)
  }, [])
  const audience: Audience = { labelIds, ...(countryCode ? { countryCode } : {}) }
  const chosen = templates[template]

  // The preview follows every change of purpose or audience (a moment after typing stops).
  const audienceKey = JSON.stringify(audience)
  useEffect(() => {
    setPreview(null)
    const timer = setTimeout(() => void api<Preview>('POST', '/api/campaigns/preview', { purpose, audience: JSON.parse(audienceKey) }).then(setPreview, (err) => setError(describeError(err))), 300)
    return () => clearTimeout(timer)
  }, [purpose, audienceKey])

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    if (!chosen) return
    const form = e.currentTarget
    const f = new FormData(form)
    const get = (k: string) => String(f.get(k) ?? '').trim()
    const when = get('scheduledAt')
    try {
      await api('POST', '/api/campaigns', {
        name: get('name'),
        purpose,
        template: { name: chosen.name, language: chosen.language, parameters: Array.from({ length: chosen.variables }, (_, i) => (values[i] ?? '').trim()) },
        audience,
        ...(when ? { scheduledAt: new Date(when).toISOString() } : {}),
      })
      setError(null)
      form.reset()
      setValues(FIRST_VALUES)
      onCreated()
    } catch (err) {
      setError(describeError(err))
    }
  }

  return (
    <form className="card-form" onSubmit={submit} aria-label={t('campaigns.create')}>
      <h3>{t('campaigns.create')}</h3>
      <label>
        {t('campaigns.name')}
        <input name="name" required maxLength={200} />
      </label>
      <label>
        {t('campaigns.purpose')}
        <select aria-label={t('campaigns.purpose')} value={purpose} onChange={(e) => setPurpose(e.target.value)}>
          <PurposeOptions purposes={purposes} />
        </select>
      </label>
      <label>
        {t('campaigns.template')}
        <select aria-label={t('campaigns.template')} value={template} onChange={(e) => { setTemplate(Number(e.target.value)); setValues(FIRST_VALUES) }}>
          <TemplateOptions templates={templates} />
        </select>
      </label>
      {chosen && <TemplatePreview template={chosen} values={values} />}
      {chosen &&
        Array.from({ length: chosen.variables }, (_, i) => (
          <label key={`${chosen.name}-${i}`}>
            {t('template.variable', { placeholder: `{{${i + 1}}}` })}
            <input name={`param${i + 1}`} required maxLength={1024} value={values[i] ?? ''} onChange={(e) => setValues((v) => Object.assign([...v], { [i]: e.target.value }))} />
          </label>
        ))}
      <fieldset>
        <legend>{t('campaigns.audience')}</legend>
        {labels.map((l) => (
          <label key={l.id} className="check">
            <input type="checkbox" checked={labelIds.includes(l.id)} onChange={(e) => setLabelIds((ids) => (e.target.checked ? [...ids, l.id] : ids.filter((x) => x !== l.id)))} /> {l.name}
          </label>
        ))}
        <label>
          {t('campaigns.countryCode')}
          <input value={countryCode} onChange={(e) => setCountryCode(e.target.value.replace(/\D/g, '').slice(0, 3))} inputMode="numeric" placeholder="49" />
        </label>
      </fieldset>
      {preview && (
        <div className="campaign-preview" role="status" aria-label={t('campaigns.preview')}>
          <strong>{t('campaigns.eligible', { count: preview.eligible, matched: preview.matched })}</strong>
          <ul>
            {Object.entries(preview.excluded)
              .filter(([, n]) => n > 0)
              .map(([reason, n]) => (
                <li key={reason}>{t(`campaigns.reasons.${reason}`, { count: n })}</li>
              ))}
          </ul>
        </div>
      )}
      <label>
        {t('campaigns.scheduledAt')}
        <input name="scheduledAt" type="datetime-local" />
      </label>
      <button type="submit" disabled={!chosen}>
        {t('campaigns.save')}
      </button>
      <ErrorLine error={error} />
    </form>
  )
}
