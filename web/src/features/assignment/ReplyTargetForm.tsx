import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { ErrorLine, SaveOutcome } from '../settings/useList'
import { useSetting } from './useSetting'

type ReplyTarget = { minutes: number | null; openingHoursOnly: boolean }

/** How soon a customer should have an answer: in minutes or hours, counted in opening hours or around the clock. */
export function ReplyTargetForm() {
  const { t } = useTranslation()
  const setting = useSetting<ReplyTarget>('/api/settings/reply-target')
  const minutes = setting.value?.minutes ?? null
  const inHours = minutes !== null && minutes % 60 === 0
  const [unit, setUnit] = useState<'minutes' | 'hours' | null>(null)
  const shownUnit = unit ?? (inHours ? 'hours' : 'minutes')
  function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    const amount = String(form.get('amount') ?? '').trim()
    void setting.save({ minutes: amount === '' ? null : Math.round(Number(amount) * (shownUnit === 'hours' ? 60 : 1)), openingHoursOnly: form.get('openingHoursOnly') === 'on' })
  }
  if (setting.value === undefined) return <ErrorLine error={setting.error} />
  return (
    <form className="card-form" onSubmit={save} aria-label={t('settings.replyTarget.title')}>
      <h3>{t('settings.replyTarget.title')}</h3>
      <div className="inline-fields">
        <label>
          {t('settings.replyTarget.amount')}
          <input name="amount" type="number" min={shownUnit === 'hours' ? 1 : 5} max={shownUnit === 'hours' ? 168 : 10080} step={1} defaultValue={minutes === null ? '' : inHours ? minutes / 60 : minutes} placeholder={t('settings.replyTarget.none')} />
        </label>
        <label>
          {t('settings.replyTarget.unit')}
          <select name="unit" value={shownUnit} onChange={(e) => setUnit(e.target.value as 'minutes' | 'hours')}>
            <option value="minutes">{t('settings.replyTarget.minutes')}</option>
            <option value="hours">{t('settings.replyTarget.hours')}</option>
          </select>
        </label>
      </div>
      <label className="check">
        <input type="checkbox" name="openingHoursOnly" defaultChecked={setting.value.openingHoursOnly} /> {t('settings.replyTarget.openingHoursOnly')}
      </label>
      <p className="muted small">{t('settings.replyTarget.hint')}</p>
      <button type="submit">{t('settings.assignment.save')}</button>
      <SaveOutcome saved={setting.saved ? t('settings.assignment.saved') : null} error={setting.error} />
    </form>
  )
}
