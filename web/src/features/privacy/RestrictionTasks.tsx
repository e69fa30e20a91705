import { type FormEvent, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../../app/api'
import { ErrorLine, useList } from '../settings/useList'

type Task = { id: string; kind: string; contact: { id: string; name: string | null; waId: string | null }; reason: string; createdAt: string }

/** Open tasks: people to inform before their restriction is lifted (Art. 18(3)); done with how they were told. */
export function RestrictionTasks({ version }: { version: number }) {
  const { t } = useTranslation()
  const { items, error, act, reload } = useList<Task>('/api/privacy/tasks')
  const [open, setOpen] = useState<string | null>(null)
  useEffect(() => {
    if (version > 0) void reload().catch(() => undefined)
  }, [version, reload])
  if (items.length === 0 && !error) return null

  async function complete(e: FormEvent<HTMLFormElement>, id: string) {
    e.preventDefault()
    const note = new FormData(e.currentTarget).get('note')
    if (await act(() => api('POST', `/api/privacy/tasks/${id}/complete`, { note }))) setOpen(null)
  }

  return (
    <div className="card" role="region" aria-label={t('privacy.tasks.title')}>
      <h3>{t('privacy.tasks.title')}</h3>
      <ul>
        {items.map((task) => (
          <li key={task.id}>
            {t('privacy.tasks.inform', { name: task.contact.name ?? '–', number: task.contact.waId ? `+${task.contact.waId}` : '–' })} <span className="muted small">({task.reason})</span>{' '}
            <button type="button" onClick={() => setOpen(task.id)}>
              {t('privacy.tasks.done')}
            </button>
            {open === task.id && (
              <form className="card-form" onSubmit={(e) => void complete(e, task.id)} aria-label={t('privacy.tasks.done')}>
                <label>
                  {t('privacy.tasks.note')}
                  <textarea name="note" required minLength={10} maxLength={2000} />
                </label>
                <button type="submit">{t('privacy.tasks.lift')}</button>
              </form>
            )}
          </li>
        ))}
      </ul>
      <ErrorLine error={error} />
    </div>
  )
}
