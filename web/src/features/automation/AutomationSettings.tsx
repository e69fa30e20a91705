import { type FormEvent, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError, type Page } from '../../app/api'
import { ErrorLine } from '../settings/useList'
import { type Automation, formatClosures, formatDay, parseClosures, parseDay, WEEKDAYS } from './hours'

const REGIONS = ['DE', 'DE-BW', 'DE-BY', 'DE-BE', 'DE-BB', 'DE-HB', 'DE-HH', 'DE-HE', 'DE-MV', 'DE-NI', 'DE-NW', 'DE-RP', 'DE-SL', 'DE-SN', 'DE-ST', 'DE-SH', 'DE-TH']

/** Opening hours, holidays, greeting and away message (admin). */
export function AutomationSettings() {
  const { t } = useTranslation()
  const [channels, setChannels] = useState<{ id: string; displayPhoneNumber: string | null }[]>([])
  // '' = the workspace's settings, which apply to every number without its own.
  const [channelId, setChannelId] = useState('')
  const [current, setCurrent] = useState<(Automation & { own: boolean }) | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)
  const query = channelId ? `?channelId=${encodeURIComponent(channelId)}` : ''

  useEffect(() => {
    void api<Page<{ id: string; displayPhoneNumber: string | null }>>('GET', '/api/channels').then((p) => setChannels(p.items), () => undefined)
  }, [])
  useEffect(() => {
    setCurrent(null)
    void api<Automation & { own: boolean }>('GET', `/api/automation${query}`).then(setCurrent, (err) => setError(describeError(err)))
  }, [query])

  const scope = (
    <label className="scope-picker">
      {t('automation.scope')}
      <select aria-label={t('automation.scope')} value={channelId} onChange={(e) => setChannelId(e.target.value)}>
        <option value="">{t('automation.allNumbers')}</option>
        {channels.map((c) => (
          <option key={c.id} value={c.id}>
            {c.displayPhoneNumber ? `+${c.displayPhoneNumber}` : c.id}
          </option>
        ))}
      </select>
    </label>
  )
  if (!current) return <ErrorLine error={error} />

  async function removeOwn() {
    try {
      await api('DELETE', `/api/automation${query}`)
      setCurrent({ ...(await api<Automation & { own: boolean }>('GET', `/api/automation${query}`)) })
    } catch (err) {
      setError(describeError(err))
    }
  }

  async function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    setSaved(false)
    const f = new FormData(e.currentTarget)
    const get = (k: string) => String(f.get(k) ?? '')
    const openingHours = {} as Automation['openingHours']
    for (const day of WEEKDAYS) {
      const parsed = parseDay(get(`day-${day}`))
      if ('error' in parsed) return setError(`${t(`automation.days.${day}`)}: ${t(parsed.error, parsed.values)}`)
      openingHours[day] = parsed.intervals
    }
    const closures = parseClosures(get('closures'))
    if ('error' in closures) return setError(t(closures.error, closures.values))
    const next: Automation = {
      timezone: get('timezone').trim(),
      openingHours,
      holidays: { region: get('region') || null, custom: closures.closures },
      greeting: { ...current!.greeting, enabled: f.get('greetingEnabled') === 'on', text: get('greetingText'), afterSilenceDays: Number(get('afterSilenceDays')) },
      away: { ...current!.away, enabled: f.get('awayEnabled') === 'on', text: get('awayText') },
    }
    try {
      setCurrent({ ...(await api<Automation>('PUT', `/api/automation${query}`, next)), own: true })
      setError(null)
      setSaved(true)
    } catch (err) {
      setError(describeError(err))
    }
  }

  return (
    <section aria-labelledby="automation-title">
      <h2 id="automation-title">{t('settings.automation.title')}</h2>
      {scope}
      {channelId && !current.own && <p className="muted small">{t('automation.inherited')}</p>}
      {channelId && current.own && (
        <button type="button" className="link small" onClick={() => void removeOwn()}>
          {t('automation.removeOwn')}
        </button>
      )}
      <form key={query} className="card-form" onSubmit={save}>
        <fieldset>
          <legend>{t('automation.hours')}</legend>
          <p className="muted small">{t('automation.hoursHint')}</p>
          {WEEKDAYS.map((day) => (
            <label key={day} className="inline-field">
              <span>{t(`automation.days.${day}`)}</span>
              <input name={`day-${day}`} defaultValue={formatDay(current.openingHours[day])} placeholder={t('automation.closedAllDay')} />
            </label>
          ))}
          <label>
            {t('automation.timezone')}
            <input name="timezone" defaultValue={current.timezone} required />
          </label>
        </fieldset>
        <fieldset>
          <legend>{t('automation.holidays')}</legend>
          <label>
            {t('automation.region')}
            <select aria-label={t('automation.region')} name="region" defaultValue={current.holidays.region ?? ''}>
              <option value="">{t('automation.noRegion')}</option>
              {REGIONS.map((r) => (
                <option key={r} value={r}>
                  {t(`automation.regions.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('automation.closures')}
            <textarea name="closures" rows={3} defaultValue={formatClosures(current.holidays.custom)} placeholder="2026-12-24 Heiligabend" />
          </label>
        </fieldset>
        <fieldset>
          <legend>{t('automation.greeting')}</legend>
          <label className="check">
            <input type="checkbox" name="greetingEnabled" defaultChecked={current.greeting.enabled} /> {t('automation.greetingEnabled')}
          </label>
          <label>
            {t('automation.text')}
            <textarea name="greetingText" rows={3} maxLength={4096} required defaultValue={current.greeting.text} />
          </label>
          <label>
            {t('automation.afterSilenceDays')}
            <input name="afterSilenceDays" type="number" min={1} max={365} required defaultValue={current.greeting.afterSilenceDays} />
          </label>
        </fieldset>
        <fieldset>
          <legend>{t('automation.away')}</legend>
          <label className="check">
            <input type="checkbox" name="awayEnabled" defaultChecked={current.away.enabled} /> {t('automation.awayEnabled')}
          </label>
          <label>
            {t('automation.text')}
            <textarea name="awayText" rows={3} maxLength={4096} required defaultValue={current.away.text} />
          </label>
          <p className="muted small">{t('automation.awayHint', { nextOpening: '{{nextOpening}}' })}</p>
        </fieldset>
        <button type="submit">{t('settings.save')}</button>
        {saved && <p role="status" className="ok">{t('settings.saved')}</p>}
        <ErrorLine error={error} />
      </form>
    </section>
  )
}
