import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, type Label } from '../../app/api'
import { useWorkspace } from '../../app/workspace'
import { LabelChip } from '../inbox/LabelChips'
import { ErrorLine, useList } from './useList'

/** Colored labels: create, rename, recolor, delete (removes them from every conversation). */
export function LabelSettings() {
  const { t } = useTranslation()
  const { reload } = useWorkspace()
  const { items, loaded, error, act } = useList<Label>('/api/labels')
  const [formKey, setFormKey] = useState(0)
  const change = async (call: () => Promise<unknown>) => {
    const r = await act(call)
    void reload()
    return r
  }

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    if (await change(() => api('POST', '/api/labels', { name: f.get('name'), color: f.get('color') }))) setFormKey((k) => k + 1)
  }

  return (
    <section aria-labelledby="labels-title">
      <h2 id="labels-title">{t('settings.labels.title')}</h2>
      <ul className="plain-list">
        {loaded && items.length === 0 && <li className="muted">{t('settings.labels.none')}</li>}
        {items.map((l) => (
          <li key={l.id} className="label-row">
            <LabelChip name={l.name} color={l.color} />
            <input aria-label={t('settings.labels.renameNamed', { name: l.name })} defaultValue={l.name} maxLength={40} onBlur={(e) => e.target.value !== l.name && void change(() => api('PATCH', `/api/labels/${l.id}`, { name: e.target.value }))} />
            <input type="color" aria-label={t('settings.labels.colorOf', { name: l.name })} defaultValue={l.color} onChange={(e) => void change(() => api('PATCH', `/api/labels/${l.id}`, { color: e.target.value }))} />
            <button type="button" onClick={() => window.confirm(t('settings.labels.confirmDelete', { name: l.name })) && void change(() => api('DELETE', `/api/labels/${l.id}`))}>
              {t('settings.delete')}
            </button>
          </li>
        ))}
      </ul>
      <form key={formKey} className="card-form inline" onSubmit={create} aria-label={t('settings.labels.create')}>
        <label>
          {t('settings.labels.name')}
          <input name="name" required maxLength={40} />
        </label>
        <label>
          {t('settings.labels.color')}
          <input name="color" type="color" defaultValue="#00806a" />
        </label>
        <button type="submit">{t('settings.labels.createButton')}</button>
      </form>
      <ErrorLine error={error} />
    </section>
  )
}
