import { type FormEvent, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError } from '../../app/api'
import { SaveOutcome } from './useList'

type Rule = 'nobody' | 'admins' | 'everyone'
const RULES: Rule[] = ['nobody', 'admins', 'everyone']

/** Whom the company requires to use two-factor login (admins only set it; their own comes first). */
export function TwoFactorRule() {
  const { t } = useTranslation()
  const [rule, setRule] = useState<Rule | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)
  useEffect(() => {
    api<{ requireTwoFactor: Rule }>('GET', '/api/settings/security').then((s) => setRule(s.requireTwoFactor), (err) => setError(describeError(err)))
  }, [])

  async function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    setSaved(false)
    setError(null)
    try {
      setRule((await api<{ requireTwoFactor: Rule }>('PUT', '/api/settings/security', { requireTwoFactor: new FormData(e.currentTarget).get('rule') })).requireTwoFactor)
      setSaved(true)
    } catch (err) {
      setError(describeError(err))
    }
  }

  if (!rule) return null
  return (
    <form className="card-form" onSubmit={save} aria-label={t('settings.twoFactorRule.title')}>
      <h3>{t('settings.twoFactorRule.title')}</h3>
      <p className="muted small">{t('settings.twoFactorRule.hint')}</p>
      <label>
        {t('settings.twoFactorRule.who')}
        <select name="rule" defaultValue={rule}>
          {RULES.map((r) => (
            <option key={r} value={r}>
              {t(`settings.twoFactorRule.${r}`)}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">{t('settings.twoFactorRule.save')}</button>
      <SaveOutcome saved={saved ? t('settings.twoFactorRule.saved') : null} error={error} />
    </form>
  )
}
