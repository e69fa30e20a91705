import { describe, expect, it } from 'vitest'
import { RETENTION_CLASSES, retainedUntil, retentionSchema, retentionYears } from '../src/modules/privacy/retention-settings.js'

type Class = (typeof RETENTION_CLASSES)[number]
const DEFAULTS = retentionSchema.parse({})
const until = (timestamp: string, cls: Class, settings = DEFAULTS) => {
  const years = retentionYears(settings, cls)
  return years ? retainedUntil(timestamp, years) : null
}

// compliance.md 1.1.1: periods run from the end of the calendar year; classes 6 / 8 / 10 years.
const TABLE: [string, string, Class, string | null][] = [
  ['business letter, the compliance example', '2025-03-03T10:00:00Z', 'handelsbrief', '2031-12-31'],
  ['business letter written 23:59 on New Year\'s Eve in Berlin', '2025-12-31T22:59:00Z', 'handelsbrief', '2031-12-31'],
  ['business letter written 00:30 on New Year\'s Day in Berlin (still 2025 in UTC)', '2025-12-31T23:30:00Z', 'handelsbrief', '2032-12-31'],
  ['summer time: 1 July, late evening', '2026-07-01T21:30:00Z', 'handelsbrief', '2032-12-31'],
  ['accounting record (invoice in the chat): 8 years since BEG IV', '2025-06-15T08:00:00Z', 'buchungsbeleg', '2033-12-31'],
  ['transition rule: an accounting record whose 10 years had not run out gets 8', '2016-05-01T08:00:00Z', 'buchungsbeleg', '2024-12-31'],
  ['transition rule: the last year before the law', '2014-11-30T08:00:00Z', 'buchungsbeleg', '2022-12-31'],
  ['books and records: 10 years, unchanged', '2020-02-29T12:00:00Z', 'buch', '2030-12-31'],
  ['marketing: no tax retention (GDPR deletion applies)', '2025-03-03T10:00:00Z', 'marketing', null],
  ['no duty', '2025-03-03T10:00:00Z', 'none', null],
]

describe('GOBD-9: retention periods', () => {
  for (const [name, timestamp, cls, expected] of TABLE) {
    it(`${name}: ${cls} from ${timestamp} → ${expected ?? 'no retention'}`, () => {
      expect(until(timestamp, cls)).toBe(expected)
    })
  }

  it('institutions that keep the old 10 years for accounting records configure it; periods never go below the law', () => {
    const bafin = retentionSchema.parse({ buchungsbelegYears: 10 })
    expect(until('2025-06-15T08:00:00Z', 'buchungsbeleg', bafin)).toBe('2035-12-31')
    expect(retentionSchema.safeParse({ buchungsbelegYears: 7 }).success).toBe(false)
    expect(retentionSchema.safeParse({ handelsbriefYears: 5 }).success).toBe(false)
    expect(retentionSchema.safeParse({ buchYears: 9 }).success).toBe(false)
    expect(DEFAULTS).toMatchObject({ defaultClass: 'handelsbrief', handelsbriefYears: 6, buchungsbelegYears: 8, buchYears: 10 })
  })
})
