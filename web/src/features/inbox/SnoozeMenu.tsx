import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Icon } from '../../ui/Icon'

/** Today or a later day at 9:00 local time. */
function at9(daysAhead: number, from = new Date()): Date {
  const d = new Date(from)
  d.setDate(d.getDate() + daysAhead)
  d.setHours(9, 0, 0, 0)
  return d
}
/** Days until next Monday (a Monday counts a full week ahead). */
const toNextMonday = (d = new Date()) => ((8 - d.getDay()) % 7) || 7

/** `datetime-local` wants local time without a zone: 2026-12-03T09:00. */
function localInputValue(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/**
 * "Snooze": sets the conversation waiting with a reminder — it opens again at the chosen time, or
 * at once when the customer writes first. Without a reminder it waits for the customer only.
 */
export function SnoozeMenu({ onSnooze, disabled = false }: { onSnooze: (until: string | null) => void; disabled?: boolean }) {
  const { t } = useTranslation()
  const [open, setOpen] = useState(false)
  const [custom, setCustom] = useState(() => localInputValue(at9(1)))
  const choose = (until: Date | null) => {
    setOpen(false)
    onSnooze(until ? until.toISOString() : null)
  }
  const presets: [string, () => Date][] = [
    ['inbox.snoozeHour', () => new Date(Date.now() + 3_600_000)],
    ['inbox.snoozeTomorrow', () => at9(1)],
    ['inbox.snoozeNextWeek', () => at9(toNextMonday())],
  ]

  return (
    <div className="popover-anchor">
      <button type="button" aria-expanded={open} aria-haspopup="true" disabled={disabled} onClick={() => setOpen((o) => !o)}>
        <Icon name="clock" /> {t('inbox.snooze')}
      </button>
      {open && (
        <div className="popover snooze-menu" role="group" aria-label={t('inbox.snoozeMenu')}>
          <ul>
            {presets.map(([key, when]) => (
              <li key={key}>
                <button type="button" className="menu-item" onClick={() => choose(when())}>
                  {t(key)}
                </button>
              </li>
            ))}
            <li>
              <button type="button" className="menu-item" onClick={() => choose(null)}>
                {t('inbox.snoozeNoReminder')}
              </button>
            </li>
          </ul>
          <form
            className="snooze-custom"
            onSubmit={(e) => {
              e.preventDefault()
              const d = new Date(custom)
              if (!Number.isNaN(d.getTime())) choose(d)
            }}
          >
            <label>
              {t('inbox.snoozeAt')}
              <input type="datetime-local" required value={custom} min={localInputValue(new Date())} onChange={(e) => setCustom(e.target.value)} />
            </label>
            <button type="submit">{t('inbox.snoozeApply')}</button>
          </form>
          <p className="muted small">{t('inbox.snoozeHint')}</p>
        </div>
      )}
    </div>
  )
}
