import type { ConsentKind } from '../../db/schema.js'

export type ConsentState = 'none' | 'pending' | 'confirmed' | 'withdrawn' | 'objected'
export type ConsentFact = { kind: ConsentKind; occurredAt: string; expiresAt: string | null }

/**
 * The state of one purpose, derived from its events in time order (events are never changed; a
 * later event supersedes an earlier one). A request only counts as `pending` until it expires,
 * and never lowers a confirmed consent: confirming is the only way in, withdrawing or objecting
 * the way out.
 */
export function deriveState(events: readonly ConsentFact[], now: string): ConsentState {
  let state: ConsentState = 'none'
  let pendingUntil: string | null = null
  const sorted = [...events].sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0))
  for (const e of sorted) {
    if (e.kind === 'requested') {
      if (state !== 'confirmed') pendingUntil = e.expiresAt ?? now
      continue
    }
    pendingUntil = null
    state = e.kind
  }
  return pendingUntil !== null && pendingUntil > now ? 'pending' : state
}

/** Why a marketing send for this state is refused; undefined when it is allowed. */
export function refusalFor(state: ConsentState): 'no-consent' | 'withdrawn' | 'objected' | undefined {
  if (state === 'confirmed') return undefined
  if (state === 'withdrawn' || state === 'objected') return state
  return 'no-consent'
}
