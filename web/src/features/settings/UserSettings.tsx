import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { RoleField, ROLES, TranslatedOptions } from '../../ui/Options'
import { api, type Role } from '../../app/api'
import { useWorkspace } from '../../app/workspace'
import { TwoFactorRule } from './TwoFactorRule'
import { ErrorLine, useList } from './useList'
import { Table, TableHead } from '../../ui/TableHead'
import { formatWhen } from '../inbox/format'

type UserRow = { id: string; email: string; name: string; role: Role; active: boolean; twoFactor: boolean; createdAt: string; lastLoginAt: string | null }

/** Team members: create with a first password, change role, deactivate (ends their sessions), reset a lost second factor. */
export function UserSettings() {
  const { t } = useTranslation()
  const { user: me, reload: reloadWorkspace } = useWorkspace()
  const { items, error, act } = useList<UserRow>('/api/users')
  const [formKey, setFormKey] = useState(0)

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const created = await act(() => api('POST', '/api/users', { name: f.get('name'), email: f.get('email'), role: f.get('role'), password: f.get('password') }))
    if (created) {
      setFormKey((k) => k + 1)
      void reloadWorkspace()
    }
  }
  const update = (id: string, body: object) => act(() => api('PATCH', `/api/users/${id}`, body)).then(() => reloadWorkspace())
  const [resetKey, setResetKey] = useState(0)
  const [resetFor, setResetFor] = useState<string | null>(null)
  // A forgotten password: the admin sets a new first one; the person's sessions end.
  async function reset(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const id = String(f.get('user'))
    setResetFor(null)
    if (await act(() => api('PATCH', `/api/users/${id}`, { password: f.get('password') }))) {
      setResetFor(items.find((u) => u.id === id)?.name ?? id)
      setResetKey((k) => k + 1)
    }
  }
  const others = items.filter((u) => u.id !== me.id)

  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">{t('settings.users.title')}</h2>
      <Table className="table">
        <TableHead columns={[t('settings.users.name'), t('login.email'), t('settings.users.role'), t('settings.users.lastLogin'), t('settings.users.twoFactor'), t('settings.users.state')]} />
        <tbody>
          {items.map((u) => (
            <tr key={u.id} className={u.active ? '' : 'inactive'}>
              <td>{u.name}</td>
              <td>{u.email}</td>
              <td>
                <select aria-label={t('settings.users.roleOf', { name: u.name })} value={u.role} disabled={u.id === me.id} onChange={(e) => void update(u.id, { role: e.target.value })}>
                  <TranslatedOptions values={ROLES} prefix="role" />
                </select>
              </td>
              <td>{u.lastLoginAt ? formatWhen(u.lastLoginAt) : <span className="muted">{t('settings.users.never')}</span>}</td>
              <td>
                <div className="row-actions">
                  <span>{u.twoFactor ? t('settings.users.twoFactorOn') : t('settings.users.twoFactorOff')}</span>
                  {u.twoFactor && u.id !== me.id && (
                    <button type="button" aria-label={t('settings.users.twoFactorResetNamed', { name: u.name })} onClick={() => window.confirm(t('settings.users.twoFactorResetConfirm', { name: u.name })) && void act(() => api('DELETE', `/api/users/${u.id}/two-factor`))}>
                      {t('settings.users.twoFactorReset')}
                    </button>
                  )}
                </div>
              </td>
              <td>
                {u.id === me.id ? (
                  <span className="muted">{t('settings.users.you')}</span>
                ) : (
                  <button type="button" onClick={() => void update(u.id, { active: !u.active })}>
                    {u.active ? t('settings.users.deactivate') : t('settings.users.activate')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
      <TwoFactorRule />
      <form key={formKey} className="card-form" onSubmit={create} aria-label={t('settings.users.create')}>
        <h3>{t('settings.users.create')}</h3>
        <label>
          {t('settings.users.name')}
          <input name="name" required maxLength={200} />
        </label>
        <label>
          {t('login.email')}
          <input name="email" type="email" required maxLength={320} />
        </label>
        <RoleField />
        <label>
          {t('settings.users.firstPassword')}
          <input name="password" type="password" required minLength={12} maxLength={1024} autoComplete="new-password" />
        </label>
        <button type="submit">{t('settings.users.createButton')}</button>
        <ErrorLine error={error} />
      </form>
      {others.length > 0 && (
        <form key={`reset-${resetKey}`} className="card-form" onSubmit={reset} aria-label={t('settings.users.reset')}>
          <h3>{t('settings.users.reset')}</h3>
          <p className="muted small">{t('settings.users.resetHint')}</p>
          <label>
            {t('settings.users.resetWho')}
            <select name="user" required defaultValue="">
              <option value="" disabled>
                {t('settings.users.choose')}
              </option>
              {others.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name} ({u.email})
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('settings.users.firstPassword')}
            <input name="password" type="password" required minLength={12} maxLength={1024} autoComplete="new-password" />
          </label>
          <button type="submit">{t('settings.users.resetButton')}</button>
          {resetFor && (
            <p role="status" className="ok">
              {t('settings.users.resetDone', { name: resetFor })}
            </p>
          )}
        </form>
      )}
    </section>
  )
}
