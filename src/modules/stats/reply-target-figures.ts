import { openTimeBetween, type Schedule } from '../automation/opening-hours.js'
import type { ReplyTarget } from '../reply-targets/reply-clock.js'
import type { Facts } from './durations.js'

/** Facts and which of them belong to the period and filter. */
export type FactSource = { facts: Facts; keep: (i: number) => boolean }

/**
 * The answered customer turns of a period measured against the reply target: answered within it
 * (met) or later (missed) — the same answers as the response times. In the opening hours of the
 * statistics' schedule when the target counts only those. Customers still waiting are the
 * inbox's business (its overdue view), not yet a figure.
 */
export function replyTargetFigures(sources: FactSource[], target: ReplyTarget, schedule: Schedule, period: { from: number; to: number }, now: number) {
  if (target.minutes === null) return null
  const limit = target.minutes * 60_000
  const between = target.openingHoursOnly ? openTimeBetween(period.from, Math.max(period.to, now), schedule) : (a: number, b: number) => b - a
  let met = 0
  let missed = 0
  for (const { facts, keep } of sources) {
    for (let i = 0; i < facts.at.length; i++) {
      const seconds = facts.seconds[i]!
      if (facts.resolution[i] || Number.isNaN(seconds) || !keep(i)) continue
      const asked = facts.began[i]!
      if (between(asked, asked + seconds * 1000) <= limit) met++
      else missed++
    }
  }
  return { minutes: target.minutes, openingHoursOnly: target.openingHoursOnly, met, missed, share: met + missed > 0 ? met / (met + missed) : null }
}
