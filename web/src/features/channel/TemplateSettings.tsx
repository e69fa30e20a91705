import { type FormEvent, useCallback, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError, type Page } from '../../app/api'
import { ErrorLine } from '../settings/useList'
import { Table, TableHead } from '../../ui/TableHead'

type Template = { id: string; name: string; language: string; category: string; status: string; body: string; footer: string | null; reason: string | null; quality: string | null }

const variableCount = (body: string) => new Set(body.match(/\{\{\d+\}\}/g) ?? []).size

/** The account's templates with Meta's verdicts; creating one submits it to Meta's review. */
export function TemplateSettings() {
  const { t } = useTranslation()
  const [items, setItems] = useState<Template[]>([])
  const [error, setError] = useState<string | null>(null)
  const [body, setBody] = useState('')
  const [created, setCreated] = useState<string | null>(null)
  const load = useCallback(() => void api<Page<Template>>('GET', '/api/templates?status=all').then((p) => setItems(p.items), (err) => setError(describeError(err))), [])
  useEffect(load, [load])

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    setCreated(null)
    const form = e.currentTarget
    const f = new FormData(form)
    const get = (k: string) => String(f.get(k) ?? '').trim()
    const buttons = get('buttons').split(',').map((b) => b.trim()).filter(Boolean).map((text) => ({ type: 'quick_reply', text }))
    try {
      await api('POST', '/api/templates', {
        name: get('name'),
        language: get('language'),
        category: get('category'),
        body: get('body'),
        ...(get('header') ? { header: get('header') } : {}),
        ...(get('footer') ? { footer: get('footer') } : {}),
        buttons,
        examples: Array.from({ length: variableCount(get('body')) }, (_, i) => get(`example${i + 1}`)),
      })
      setCreated(get('name'))
      setError(null)
      form.reset()
      setBody('')
      load()
    } catch (err) {
      setError(describeError(err))
    }
  }

  async function remove(name: string) {
    if (!window.confirm(t('templates.confirmDelete', { name }))) return
    await api('DELETE', `/api/templates/${name}`).then(load, (err) => setError(describeError(err)))
  }

  return (
    <section aria-labelledby="templates-title">
      <h2 id="templates-title">{t('settings.templates.title')}</h2>
      <Table className="data-table">
        <TableHead columns={[t('templates.name'), t('templates.category'), t('templates.status'), t('templates.quality')]} actions />
        <tbody>
          {items.map((tp) => (
            <tr key={`${tp.name}/${tp.language}`}>
              <th scope="row">
                {tp.name} <span className="muted">({tp.language})</span>
                <div className="muted small template-body">{tp.body}</div>
              </th>
              <td>{t(`templates.categories.${tp.category.toLowerCase()}`, { defaultValue: tp.category })}</td>
              <td>
                <span className={`template-status status-${tp.status.toLowerCase()}`}>{t(`templates.statuses.${tp.status}`, { defaultValue: tp.status })}</span>
                {tp.reason && <span className="muted small"> – {tp.reason}</span>}
              </td>
              <td>{tp.quality ?? '–'}</td>
              <td>
                <button type="button" className="link small" onClick={() => void remove(tp.name)} aria-label={t('templates.delete', { name: tp.name })}>
                  {t('templates.deleteShort')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
      <form className="card-form" onSubmit={create} aria-label={t('templates.create')}>
        <h3>{t('templates.create')}</h3>
        <label>
          {t('templates.name')}
          <input name="name" required pattern="[a-z0-9_]+" maxLength={512} placeholder={t('templates.namePlaceholder')} />
        </label>
        <label>
          {t('templates.language')}
          <select aria-label={t('templates.language')} name="language" defaultValue="de">
            <option value="de">Deutsch (de)</option>
            <option value="en">English (en)</option>
            <option value="en_US">English US (en_US)</option>
          </select>
        </label>
        <label>
          {t('templates.category')}
          <select aria-label={t('templates.category')} name="category" defaultValue="utility">
            {['utility', 'marketing', 'authentication'].map((c) => (
              <option key={c} value={c}>
                {t(`templates.categories.${c}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('templates.header')}
          <input name="header" maxLength={60} />
        </label>
        <label>
          {t('templates.body', { sample: '{{1}}, {{2}}' })}
          <textarea name="body" required rows={3} maxLength={1024} value={body} onChange={(e) => setBody(e.target.value)} placeholder={t('templates.bodyPlaceholder')} />
        </label>
        {Array.from({ length: variableCount(body) }, (_, i) => (
          <label key={i}>
            {t('templates.example', { placeholder: `{{${i + 1}}}` })}
            <input name={`example${i + 1}`} required maxLength={200} />
          </label>
        ))}
        <label>
          {t('templates.footer')}
          <input name="footer" maxLength={60} placeholder={t('templates.footerHint')} />
        </label>
        <label>
          {t('templates.buttons')}
          <input name="buttons" placeholder="STOP" />
        </label>
        <p className="muted small">{t('templates.marketingHint')}</p>
        <button type="submit">{t('templates.submit')}</button>
        {created && <p role="status" className="ok">{t('templates.submitted', { name: created })}</p>}
        <ErrorLine error={error} />
      </form>
    </section>
  )
}
