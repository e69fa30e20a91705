import { useTranslation } from 'react-i18next'

/** `<option>`s for a fixed list of values, labelled through i18n as `${prefix}.${value}`. */
export function TranslatedOptions({ values, prefix }: { values: readonly string[]; prefix: string }) {
  const { t } = useTranslation()
  return (
    <>
      {values.map((v) => (
        <option key={v} value={v}>
          {t(`${prefix}.${v}`)}
        </option>
      ))}
    </>
  )
}

export const CONVERSATION_STATUSES = ['open', 'pending', 'resolved'] as const
export const ROLES = ['agent', 'admin', 'auditor'] as const

/** The role picker of the user and token forms (field name `role`, default agent). */
export function RoleField() {
  const { t } = useTranslation()
  return (
    <label>
      {t('settings.users.role')}
      <select aria-label={t('settings.users.role')} name="role" defaultValue="agent">
        <TranslatedOptions values={ROLES} prefix="role" />
      </select>
    </label>
  )
}
