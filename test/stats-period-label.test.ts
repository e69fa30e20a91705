import { describe, expect, it } from 'vitest'
import { periodLabel } from '../web/src/features/stats/period-label.js'

// The statistics page's names for its periods (the API names a period by its first day).
const t = ((key: string, o: { week: number; from: string }) => (key === 'stats.weekLabel' ? `KW ${o.week} (ab ${o.from})` : key)) as never

describe('statistics period labels', () => {
  it('names days, ISO weeks and months as people read them, in German and English', () => {
    expect(periodLabel('2026-12-02', 'day', t, 'de')).toBe('Mi., 02.12.')
    expect(periodLabel('2026-12-02', 'day', t, 'en')).toBe('Wed 02/12')
    expect(periodLabel('2026-12-01', 'month', t, 'de')).toBe('Dezember 2026')
    expect(periodLabel('2026-12-01', 'month', t, 'en')).toBe('December 2026')
    // ISO weeks: 2026 has 53 (it starts on a Thursday); the week of 30 Dec 2024 is week 1 of 2025.
    expect(periodLabel('2026-11-30', 'week', t, 'de')).toBe('KW 49 (ab 30.11.)')
    expect(periodLabel('2026-12-28', 'week', t, 'de')).toBe('KW 53 (ab 28.12.)')
    expect(periodLabel('2027-01-04', 'week', t, 'de')).toBe('KW 1 (ab 04.01.)')
    expect(periodLabel('2024-12-30', 'week', t, 'de')).toBe('KW 1 (ab 30.12.)')
    expect(periodLabel('not-a-date', 'day', t, 'de')).toBe('not-a-date')
  })
})
