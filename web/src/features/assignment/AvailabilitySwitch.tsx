import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../../app/api'

type Availability = 'available' | 'away'

/** In the top bar: whether I take conversations from automatic assignment now. */
export function AvailabilitySwitch() {
  const { t } = useTranslation()
  const [value, setValue] = useState<Availability | null>(null)
  useEffect(() => {
    api<{ availability: Availability }>('GET', '/api/auth/availability').then((r) => setValue(r.availability), () => undefined)
  }, [])
  async function change(next: Availability) {
    const before = value
    setValue(next)
    await api('PUT', '/api/auth/availability', { availability: next }).catch(() => setValue(before))
  }
  if (!value) return null
  return (
    <label className="availability" title={t('availability.hint')}>
      <span className={`availability-dot ${value}`} aria-hidden="true" />
      <select aria-label={t('availability.label')} value={value} onChange={(e) => void change(e.target.value as Availability)}>
        <option value="available">{t('availability.available')}</option>
        <option value="away">{t('availability.away')}</option>
      </select>
    </label>
  )
}
