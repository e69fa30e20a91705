import { useTranslation } from 'react-i18next'
import { useWorkspace } from '../../app/workspace'

/** Whom a conversation can be assigned to: me first, then my colleagues (admins and agents). */
export function AssigneeOptions() {
  const { t } = useTranslation()
  const { user, team } = useWorkspace()
  return (
    <>
      <option value={user.id}>{t('inbox.me', { name: user.name })}</option>
      {team
        .filter((m) => m.id !== user.id)
        .map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
          </option>
        ))}
    </>
  )
}
