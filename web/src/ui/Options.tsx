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

/** `<option>`s of consent purposes, in the interface language. */
export function PurposeOptions({ purposes }: { purposes: readonly { key: string; label: { de: string; en: string } }[] }) {
  const { i18n } = useTranslation()
  return (
    <>
      {purposes.map((p) => (
        <option key={p.key} value={p.key}>
          {i18n.language === 'en' ? p.label.en : p.label.de}
        </option>
      ))}
    </>
  )
}

/** `<option>`s of message templates by their index in the list, as `name (language)`. */
export function TemplateOptions({ templates }: { templates: readonly { name: string; language: string }[] }) {
  return (
    <>
      {templates.map((tp, i) => (
        <option key={`${tp.name}/${tp.language}`} value={i}>
          {tp.name} ({tp.language})
        </option>
      ))}
    </>
  )
}
