import { z } from 'zod'
import type { Executor } from '../../db/database.js'
import { getSetting } from '../settings/settings.repo.js'
import { REGIONS } from './holidays.js'
import { isTimeZone, minutesOf, type Schedule, WEEKDAYS } from './opening-hours.js'

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time HH:MM (00:00 to 24:00)')
const day = z
  .array(z.object({ from: clock, to: clock }))
  .max(6)
  .superRefine((intervals, ctx) => {
    intervals.forEach((i, n) => {
      if (minutesOf(i.from) >= minutesOf(i.to)) ctx.addIssue({ code: 'custom', path: [n], message: `opens at ${i.from} but closes at ${i.to}: the end must come after the start` })
    })
    const sorted = intervals.map((i, n) => ({ ...i, n })).sort((a, b) => minutesOf(a.from) - minutesOf(b.from))
    for (let k = 1; k < sorted.length; k++) {
      if (minutesOf(sorted[k]!.from) < minutesOf(sorted[k - 1]!.to)) {
        ctx.addIssue({ code: 'custom', path: [sorted[k]!.n], message: `${sorted[k]!.from}–${sorted[k]!.to} overlaps ${sorted[k - 1]!.from}–${sorted[k - 1]!.to}` })
      }
    }
  })

const isoDate = z.iso.date()
const closure = z
  .object({ date: isoDate, to: isoDate.optional(), name: z.string().trim().min(1).max(100) })
  .refine((c) => !c.to || c.to >= c.date, { message: 'a closure ends on or after the day it starts', path: ['to'] })

/** Automatic answers: at most one of each per conversation within `repeatAfterHours`. */
const greeting = z.object({
  enabled: z.boolean(),
  text: z.string().trim().min(1).max(4096),
  /** A customer who writes again after this many days of silence is greeted again. */
  afterSilenceDays: z.number().int().min(1).max(365).default(30),
  repeatAfterHours: z.number().int().min(1).max(24 * 90).default(24),
})
const away = z.object({
  enabled: z.boolean(),
  /** `{{nextOpening}}` becomes the next opening time, e.g. „Montag, 1. Dezember, 09:00 Uhr“. */
  text: z.string().trim().min(1).max(4096),
  repeatAfterHours: z.number().int().min(1).max(24 * 90).default(12),
})

export const automationSchema = z.object({
  timezone: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Berlin'),
  openingHours: z.object(Object.fromEntries(WEEKDAYS.map((d) => [d, day])) as Record<(typeof WEEKDAYS)[number], typeof day>),
  holidays: z.object({ region: z.enum(REGIONS).nullable(), custom: z.array(closure).max(200) }),
  greeting,
  away,
})
export type AutomationSettings = z.infer<typeof automationSchema>

const WORKDAY = [{ from: '09:00', to: '17:00' }]

/** Until an admin sets them: Monday to Friday 9–17 in Berlin, federal holidays, both messages off. */
export const DEFAULT_AUTOMATION: AutomationSettings = {
  timezone: 'Europe/Berlin',
  openingHours: { mon: WORKDAY, tue: WORKDAY, wed: WORKDAY, thu: WORKDAY, fri: WORKDAY, sat: [], sun: [] },
  holidays: { region: 'DE', custom: [] },
  greeting: {
    enabled: false,
    text: 'Hallo und willkommen! Schön, dass Sie uns schreiben. Wir melden uns so schnell wie möglich.',
    afterSilenceDays: 30,
    repeatAfterHours: 24,
  },
  away: {
    enabled: false,
    text: 'Vielen Dank für Ihre Nachricht! Wir sind gerade nicht erreichbar und antworten ab {{nextOpening}}.',
    repeatAfterHours: 12,
  },
}

/** Where a channel's own settings are kept; without one, the workspace's apply. */
export const automationKey = (channelId?: string) => (channelId ? `automation.channel.${channelId}` : 'automation')

/** The settings in effect for a channel (its own, else the workspace's, else the defaults). */
export async function readAutomation(db: Executor, channelId?: string): Promise<AutomationSettings> {
  const own = channelId ? await getSetting<AutomationSettings>(db, automationKey(channelId)) : undefined
  return own ?? (await getSetting<AutomationSettings>(db, 'automation')) ?? DEFAULT_AUTOMATION
}

export const scheduleOf = (a: AutomationSettings): Schedule => ({ timezone: a.timezone, openingHours: a.openingHours, holidays: a.holidays })
