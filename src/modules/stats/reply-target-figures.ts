import { openTimeBetween, type Schedule } from '../automation/opening-hours.js'
import type { ReplyTarget } from '../reply-targets/reply-clock.js'
import type { Facts } from './durations.js'

/** Facts and which of them belong to the period and filter. */
export type FactSource = { facts: Facts; keep: (i: number) => boolean }
/** The reply target and what it is measured in: the statistics' schedule, and the time now. */
export type TargetContext = { replyTarget: ReplyTarget; schedule: Schedule; now: number }

/**
 * The answered customer turns of a period, each measured against the reply target: answered
 * within it (met) or later — the same answers as the response times. In the opening hours of the
 * statistics' schedule when the target counts only those. Customers still waiting are the inbox's
 * business (its overdue view), not yet a figure. Nothing while no target is set.
 */
export function* answersAgainstTarget(sources: FactSource[], t: TargetContext, period: { from: number; to: number }): Generator<{ asked: number; met: boolean }> {
  if (t.replyTarget.minutes === null) return
  const limit = t.replyTarget.minutes * 60_000
  const between = t.replyTarget.openingHoursOnly ? openTimeBetween(period.from, Math.max(period.to, t.now), t.schedule) : (a: number, b: number) => b - a
  for (const { facts, keep } of sources) {
    for (let i = 0; i < facts.at.length; i++) {
      const seconds = facts.seconds[i]!
      if (facts.resolution[i] || Number.isNaN(seconds) || !keep(i)) continue
      const asked = facts.began[i]!
      yield { asked, met: between(asked, asked + seconds * 1000) <= limit }
    }
  }
}

/** The period's answers against the reply target, counted (null while no target is set). */
export function replyTargetFigures(sources: FactSource[], t: TargetContext, period: { from: number; to: number }) {
  const { minutes, openingHoursOnly } = t.replyTarget
  if (minutes === null) return null
  let met = 0
  let missed = 0
  for (const answer of answersAgainstTarget(sources, t, period)) {
    if (answer.met) met++
    else missed++
  }
  return { minutes, openingHoursOnly, met, missed, share: met + missed > 0 ? met / (met + missed) : null }
}
