import { describe, expect, it } from 'vitest'
import { formatOpening } from '../src/modules/automation/auto-replies.js'
import { DEFAULT_AUTOMATION, scheduleOf } from '../src/modules/automation/automation-settings.js'
import { easterSunday, holidayOn, holidaysOf } from '../src/modules/automation/holidays.js'
import { addOpenTime, instantOf, isOpen, localTime, nextOpening, openTimeBetween, type Schedule, subtractOpenTime } from '../src/modules/automation/opening-hours.js'

const at = (iso: string) => Date.parse(iso)
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
const berlin: Schedule = scheduleOf(DEFAULT_AUTOMATION) // Mon–Fri 09:00–17:00, federal holidays

describe('German public holidays', () => {
  it('computes Easter and the movable feasts', () => {
    expect(easterSunday(2024).toISOString().slice(0, 10)).toBe('2024-03-31')
    expect(easterSunday(2026).toISOString().slice(0, 10)).toBe('2026-04-05')
    expect(easterSunday(2027).toISOString().slice(0, 10)).toBe('2027-03-28')
    expect(easterSunday(2038).toISOString().slice(0, 10)).toBe('2038-04-25') // the latest possible date
    expect(holidaysOf(2026, 'DE').map((h) => `${h.date} ${h.name}`)).toEqual([
      '2026-01-01 Neujahr',
      '2026-04-03 Karfreitag',
      '2026-04-06 Ostermontag',
      '2026-05-01 Tag der Arbeit',
      '2026-05-14 Christi Himmelfahrt',
      '2026-05-25 Pfingstmontag',
      '2026-10-03 Tag der Deutschen Einheit',
      '2026-12-25 1. Weihnachtstag',
      '2026-12-26 2. Weihnachtstag',
    ])
  })

  it('adds the holidays of each state, from the year they were introduced', () => {
    expect(holidayOn('2026-06-04', 'DE-BY')).toBe('Fronleichnam')
    expect(holidayOn('2026-06-04', 'DE-BE')).toBeUndefined()
    expect(holidayOn('2026-11-18', 'DE-SN')).toBe('Buß- und Bettag')
    expect(holidayOn('2025-11-19', 'DE-SN')).toBe('Buß- und Bettag')
    expect(holidayOn('2026-11-18', 'DE-BY')).toBeUndefined()
    expect(holidayOn('2026-03-08', 'DE-BE')).toBe('Internationaler Frauentag')
    expect(holidayOn('2022-03-08', 'DE-MV')).toBeUndefined()
    expect(holidayOn('2023-03-08', 'DE-MV')).toBe('Internationaler Frauentag')
    expect(holidayOn('2026-10-31', 'DE-NI')).toBe('Reformationstag')
    expect(holidayOn('2016-10-31', 'DE-NI')).toBeUndefined()
    expect(holidayOn('2026-09-20', 'DE-TH')).toBe('Weltkindertag')
    expect(holidayOn('2026-04-05', 'DE-BB')).toBe('Ostersonntag')
    expect(holidayOn('2026-11-01', 'DE-NW')).toBe('Allerheiligen')
    expect(holidayOn('2026-01-06', 'DE')).toBeUndefined()
  })
})

describe('opening hours at exact instants', () => {
  it('follows Berlin wall-clock time across the spring-forward switch', () => {
    // Friday 27 March 2026 is still winter time (UTC+1); Monday 30 March is summer time (UTC+2).
    expect(isOpen(at('2026-03-27T07:59:59Z'), berlin)).toBe(false)
    expect(isOpen(at('2026-03-27T08:00:00Z'), berlin)).toBe(true)
    expect(isOpen(at('2026-03-27T15:59:59Z'), berlin)).toBe(true)
    expect(isOpen(at('2026-03-27T16:00:00Z'), berlin)).toBe(false)
    expect(isOpen(at('2026-03-30T06:59:59Z'), berlin)).toBe(false)
    expect(isOpen(at('2026-03-30T07:00:00Z'), berlin)).toBe(true)
    expect(iso(nextOpening(at('2026-03-28T12:00:00Z'), berlin))).toBe('2026-03-30T07:00:00.000Z')
  })

  it('and across the fall-back switch', () => {
    expect(iso(nextOpening(at('2026-10-23T16:00:00Z'), berlin))).toBe('2026-10-26T08:00:00.000Z')
    expect(isOpen(at('2026-10-26T07:59:59Z'), berlin)).toBe(false)
    expect(isOpen(at('2026-10-26T08:00:00Z'), berlin)).toBe(true)
    // 02:30 on the fall-back Sunday happens twice, 02:30 on the spring-forward Sunday never.
    expect(iso(instantOf('2026-03-29', 150, 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z')
    expect(localTime(at('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toEqual({ date: '2026-10-25', weekday: 'sun', minutes: 150 })
    expect(localTime(at('2026-10-25T01:30:00Z'), 'Europe/Berlin')).toEqual({ date: '2026-10-25', weekday: 'sun', minutes: 150 })
  })

  it('skips public holidays and the company’s own closures', () => {
    const christmas: Schedule = { ...berlin, holidays: { region: 'DE', custom: [{ date: '2026-12-24', name: 'Heiligabend' }, { date: '2026-12-31', to: '2027-01-02', name: 'Jahreswechsel' }] } }
    expect(isOpen(at('2026-12-24T10:00:00Z'), christmas)).toBe(false)
    expect(isOpen(at('2026-12-24T10:00:00Z'), berlin)).toBe(true)
    // Wednesday evening → Thursday closed, Friday 25th a holiday, the weekend → Monday 28th, 09:00 CET.
    expect(iso(nextOpening(at('2026-12-23T17:00:00Z'), christmas))).toBe('2026-12-28T08:00:00.000Z')
    expect(iso(nextOpening(at('2026-12-30T16:30:00Z'), christmas))).toBe('2027-01-04T08:00:00.000Z')
    expect(iso(nextOpening(at('2026-04-02T16:30:00Z'), berlin))).toBe('2026-04-07T07:00:00.000Z') // Easter
    const never: Schedule = { ...berlin, openingHours: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } }
    expect(nextOpening(at('2026-04-02T16:30:00Z'), never)).toBeNull()
  })

  it('handles several intervals a day and other time zones', () => {
    const split: Schedule = { ...berlin, timezone: 'America/New_York', openingHours: { ...berlin.openingHours, mon: [{ from: '14:00', to: '18:00' }, { from: '08:00', to: '12:00' }] } }
    expect(isOpen(at('2026-11-30T12:59:59Z'), split)).toBe(false) // 07:59 in New York (UTC−5 in winter)
    expect(isOpen(at('2026-11-30T13:00:00Z'), split)).toBe(true)
    expect(isOpen(at('2026-11-30T17:30:00Z'), split)).toBe(false) // 12:30 lunch
    expect(iso(nextOpening(at('2026-11-30T17:30:00Z'), split))).toBe('2026-11-30T19:00:00.000Z')
  })

  it('names the next opening in German', () => {
    expect(formatOpening(at('2026-12-28T08:00:00Z'), 'Europe/Berlin')).toBe('Montag, 28. Dezember, 09:00 Uhr')
  })
})

describe('opening time added and taken away (reply targets)', () => {
  const hour = 3_600_000
  it('counts only opening hours, across evenings, weekends, holidays and the change to summer time', () => {
    // Wednesday 15:30 in Berlin (winter) + 2 h: 1½ h that day, ½ h on Thursday morning.
    expect(iso(addOpenTime(at('2026-12-02T14:30:00Z'), 2 * hour, berlin))).toBe('2026-12-03T08:30:00.000Z')
    // Friday 16:00 + 2 h: Monday 10:00.
    expect(iso(addOpenTime(at('2026-12-04T15:00:00Z'), 2 * hour, berlin))).toBe('2026-12-07T09:00:00.000Z')
    // Christmas Eve (a Thursday, open) 16:30 + 1 h: the 25th and 26th are holidays, then the weekend.
    expect(iso(addOpenTime(at('2026-12-24T15:30:00Z'), hour, berlin))).toBe('2026-12-28T08:30:00.000Z')
    // A message on Saturday waits for Monday's opening.
    expect(iso(addOpenTime(at('2026-12-05T11:00:00Z'), 30 * 60_000, berlin))).toBe('2026-12-07T08:30:00.000Z')
    // Friday 16:00 before the clocks go forward + 2 h: Monday 10:00 summer time (UTC+2).
    expect(iso(addOpenTime(at('2026-03-27T15:00:00Z'), 2 * hour, berlin))).toBe('2026-03-30T08:00:00.000Z')
    // A whole working day ends exactly at closing time.
    expect(iso(addOpenTime(at('2026-12-02T08:00:00Z'), 8 * hour, berlin))).toBe('2026-12-02T16:00:00.000Z')
  })

  it('takes opening time away from an instant, as the inverse of adding it', () => {
    expect(iso(subtractOpenTime(at('2026-12-07T09:00:00Z'), 2 * hour, berlin))).toBe('2026-12-04T15:00:00.000Z')
    expect(iso(subtractOpenTime(at('2026-12-05T11:00:00Z'), hour, berlin))).toBe('2026-12-04T15:00:00.000Z') // Saturday: from Friday's close
    expect(iso(subtractOpenTime(at('2026-12-28T08:30:00Z'), hour, berlin))).toBe('2026-12-24T15:30:00.000Z')
    // Whatever began at an open instant is due exactly where taking the time away leads back.
    for (let start = at('2026-03-23T08:00:00Z'); start < at('2026-04-10T00:00:00Z'); start += 37 * 60_000) {
      if (!isOpen(start, berlin)) continue
      for (const ms of [15 * 60_000, 4 * hour, 30 * hour]) expect(subtractOpenTime(addOpenTime(start, ms, berlin)!, ms, berlin)).toBe(start)
    }
  })

  it('answers null when the business does not open long enough within a year', () => {
    const never: Schedule = { ...berlin, openingHours: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } }
    expect(addOpenTime(at('2026-12-02T10:00:00Z'), 60_000, never)).toBeNull()
    expect(subtractOpenTime(at('2026-12-02T10:00:00Z'), 60_000, never)).toBeNull()
  })
})

describe('opening time between two instants (statistics of the reply target)', () => {
  it('agrees with adding opening time, for many pairs', () => {
    const between = openTimeBetween(at('2026-03-20T00:00:00Z'), at('2026-04-20T00:00:00Z'), berlin)
    const hour = 3_600_000
    // Friday 16:00 to Monday 10:00 (over the change to summer time): two hours.
    expect(between(at('2026-03-27T15:00:00Z'), at('2026-03-30T08:00:00Z'))).toBe(2 * hour)
    // Good Friday and Easter Monday are closed: Thursday 16:30 to Tuesday 9:30 is one hour.
    expect(between(at('2026-04-02T14:30:00Z'), at('2026-04-07T07:30:00Z'))).toBe(hour)
    expect(between(at('2026-04-04T10:00:00Z'), at('2026-04-05T10:00:00Z'))).toBe(0) // a weekend
    for (let start = at('2026-03-21T06:00:00Z'); start < at('2026-04-12T00:00:00Z'); start += 53 * 60_000) {
      for (const ms of [10 * 60_000, 3 * hour, 20 * hour]) {
        const end = addOpenTime(start, ms, berlin)!
        expect(between(start, end)).toBe(ms)
      }
    }
  })
})
