import { type FormEvent, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError } from '../../app/api'
import { useInboxEvent } from '../../app/event-bus'
import { ErrorLine, SaveOutcome, useList } from '../settings/useList'
import { EmptyRow, Table, TableHead } from '../../ui/TableHead'
import { ReplyTargetForm } from './ReplyTargetForm'
import { useSetting } from './useSetting'

type Settings = { enabled: boolean; includeAdmins: boolean; maxOpenPerPerson: number | null }
type Member = { id: string; name: string; role: 'admin' | 'agent'; availability: 'available' | 'away'; present: boolean; open: number }

/** Settings → Zuweisung: whether new customers are shared out automatically, and who is there now. */
export function AssignmentSettings() {
  const { t } = useTranslation()
  const [settings, setSettings] = useState<Settings | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)
  const team = useList<Member>('/api/team/status')
  useEffect(() => {
    api<Settings>('GET', '/api/settings/assignment').then(setSettings, (err) => setError(describeError(err)))
  }, [])
  // Counts change with every assignment; presence lapses by itself, so look again now and then.
  useInboxEvent((e) => {
    if (e.type === 'conversation.changed' || e.type === 'inbox.changed' || e.type === 'reconnected') void team.reload().catch(() => undefined)
  })
  useEffect(() => {
    const timer = setInterval(() => void team.reload().catch(() => undefined), 30_000)
    return () => clearInterval(timer)
  }, [team.reload])

  async function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    setSaved(false)
    setError(null)
    const form = new FormData(e.currentTarget)
    const limit = String(form.get('limit') ?? '').trim()
    try {
      setSettings(await api<Settings>('PUT', '/api/settings/assignment', { enabled: form.get('enabled') === 'on', includeAdmins: form.get('admins') === 'on', maxOpenPerPerson: limit === '' ? null : Number(limit) }))
      setSaved(true)
      await team.reload()
    } catch (err) {
      setError(describeError(err))
    }
  }

  return (
    <section>
      <h2>{t('settings.assignment.title')}</h2>
      <p className="muted">{t('settings.assignment.intro')}</p>
      {settings && (
        <form className="card-form" onSubmit={save} aria-label={t('settings.assignment.title')}>
          <h3>{t('settings.assignment.automatic')}</h3>
          <label className="check">
            <input type="checkbox" name="enabled" defaultChecked={settings.enabled} /> {t('settings.assignment.enabled')}
          </label>
          <label className="check">
            <input type="checkbox" name="admins" defaultChecked={settings.includeAdmins} /> {t('settings.assignment.includeAdmins')}
          </label>
          <label>
            {t('settings.assignment.limit')}
            <input name="limit" type="number" min={1} max={500} step={1} defaultValue={settings.maxOpenPerPerson ?? ''} placeholder={t('settings.assignment.noLimit')} />
          </label>
          <p className="muted small">{t('settings.assignment.rules')}</p>
          <button type="submit">{t('settings.assignment.save')}</button>
          <SaveOutcome saved={saved ? t('settings.assignment.saved') : null} error={error} />
        </form>
      )}
      {!settings && <ErrorLine error={error} />}
      <ReplyTargetForm />
      <AutoResolveForm />
      <h3>{t('settings.assignment.team')}</h3>
      <Table className="table" aria-label={t('settings.assignment.team')}>
        <TableHead columns={[t('settings.users.name'), t('settings.users.role'), t('settings.assignment.availability'), t('settings.assignment.present'), t('settings.assignment.open')]} />
        <tbody>
          {team.loaded && team.items.length === 0 && <EmptyRow columns={5}>{t('settings.assignment.nobody')}</EmptyRow>}
          {team.items.map((m) => (
            <tr key={m.id}>
              <td>{m.name}</td>
              <td>{t(`role.${m.role}`)}</td>
              <td>
                <span className={`availability-dot ${m.availability}`} aria-hidden="true" /> {t(`availability.${m.availability}`)}
              </td>
              <td>{m.present ? t('settings.assignment.appOpen') : <span className="muted">{t('settings.assignment.appClosed')}</span>}</td>
              <td>{m.open}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      <ErrorLine error={team.error} />
    </section>
  )
}

/** Answered conversations the customer never came back to: resolved after so many days, or never. */
function AutoResolveForm() {
  const { t } = useTranslation()
  const setting = useSetting<{ afterDays: number | null }>('/api/settings/auto-resolve')
  function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const value = String(new FormData(e.currentTarget).get('days') ?? '').trim()
    void setting.save({ afterDays: value === '' ? null : Number(value) })
  }
  if (setting.value === undefined) return <ErrorLine error={setting.error} />
  return (
    <form className="card-form" onSubmit={save} aria-label={t('settings.autoResolve.title')}>
      <h3>{t('settings.autoResolve.title')}</h3>
      <label>
        {t('settings.autoResolve.days')}
        <input name="days" type="number" min={1} max={365} step={1} defaultValue={setting.value.afterDays ?? ''} placeholder={t('settings.autoResolve.never')} />
      </label>
      <p className="muted small">{t('settings.autoResolve.hint')}</p>
      <button type="submit">{t('settings.assignment.save')}</button>
      <SaveOutcome saved={setting.saved ? t('settings.assignment.saved') : null} error={setting.error} />
    </form>
  )
}
