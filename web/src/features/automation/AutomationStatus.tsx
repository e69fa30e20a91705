import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../../app/api'

type State = { open: boolean; nextOpening: string | null; timezone: string; greeting: boolean; away: boolean }

/** The inbox header's line: open or closed now, and which automatic answers are on. */
export function AutomationStatus() {
  const { t, i18n } = useTranslation()
  const [state, setState] = useState<State | null>(null)
  useEffect(() => {
    const load = () => void api<State>('GET', '/api/automation/state').then(setState, () => undefined)
    load()
    const timer = setInterval(load, 60_000)
    return () => clearInterval(timer)
  }, [])
  if (!state) return null
  const next = state.nextOpening ? new Date(state.nextOpening).toLocaleString(i18n.language === 'en' ? 'en-GB' : 'de-DE', { timeZone: state.timezone, weekday: 'short', hour: '2-digit', minute: '2-digit' }) : null
  const answers = [state.greeting && t('automation.greetingOn'), state.away && t('automation.awayOn')].filter(Boolean)
  return (
    <p className="automation-state" aria-label={t('automation.stateLabel')}>
      {state.open ? <span className="open">{t('automation.openNow')}</span> : <span className="closed">{next ? t('automation.closedUntil', { time: next }) : t('automation.closedNow')}</span>}
      {' · '}
      {answers.length ? answers.join(' · ') : t('automation.answersOff')}
    </p>
  )
}
