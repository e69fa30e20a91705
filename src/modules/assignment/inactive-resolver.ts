import type { FastifyBaseLogger } from 'fastify'
import { z } from 'zod'
import type { Db, Executor } from '../../db/database.js'
import { PeriodicPass } from '../../platform/periodic-pass.js'
import { isoPlus, nowIso } from '../../platform/time.js'
import { ofUnrestrictedContact } from '../inbox/conversations.repo.js'
import { getSetting } from '../settings/settings.repo.js'

/**
 * Conversations the team answered and the customer never came back to are set to resolved after
 * this many days, so the open list holds what needs work (and colleagues with a limit get room).
 * Off by default. Only those where nobody waits for a colleague's answer: a customer who got only
 * an automatic answer, or none, is never put away unanswered.
 */
export const autoResolveSchema = z.object({ afterDays: z.number().int().min(1).max(365).nullable().default(null) })
export type AutoResolve = z.infer<typeof autoResolveSchema>
export const AUTO_RESOLVE_KEY = 'inbox.auto_resolve'

export const readAutoResolve = async (db: Executor): Promise<AutoResolve> => autoResolveSchema.catch(autoResolveSchema.parse({})).parse((await getSetting<unknown>(db, AUTO_RESOLVE_KEY)) ?? {})

const BATCH = 500

/**
 * Resolves the open conversations quiet for the set days in which nobody waits for an answer. Each update
 * re-checks the conversation is still open and still quiet (a message arriving meanwhile wins).
 * Not written as a team resolution (statistics' resolution times measure the team's work, not
 * the days of waiting for a customer who did not answer).
 */
export async function resolveInactive(db: Db, afterDays: number, now = nowIso()): Promise<string[]> {
  const before = isoPlus(now, -afterDays * 24 * 60 * 60 * 1000)
  const quiet = await db
    .selectFrom('conversations')
    .select(['id', 'last_message_at'])
    .where('status', '=', 'open')
    .where('last_message_at', '<', before)
    // Nobody waits for a colleague's answer (an automatic away message answers nobody).
    .where('awaiting_reply_since', 'is', null)
    .where(ofUnrestrictedContact)
    .orderBy('last_message_at')
    .limit(BATCH)
    .execute()
  const resolved: string[] = []
  for (const c of quiet) {
    const done = await db
      .updateTable('conversations')
      .set({ status: 'resolved', updated_at: now })
      .where('id', '=', c.id)
      .where('status', '=', 'open')
      .where('last_message_at', '=', c.last_message_at)
      .where('awaiting_reply_since', 'is', null)
      .returning('id')
      .executeTakeFirst()
    if (done) resolved.push(done.id)
  }
  return resolved
}

/** Looks for quiet conversations every few minutes, and at once when the setting is saved. */
export class InactiveResolver extends PeriodicPass {
  constructor(db: Db, log: FastifyBaseLogger, onResolved: (ids: string[]) => void, intervalMs = 5 * 60_000) {
    super(
      async () => {
        const { afterDays } = await readAutoResolve(db)
        if (afterDays === null) return
        for (;;) {
          const ids = await resolveInactive(db, afterDays)
          if (ids.length > 0) onResolved(ids)
          if (ids.length < BATCH) return
        }
      },
      (error) => log.error({ err: error }, 'resolving quiet conversations failed; the next pass tries again'),
      intervalMs,
    )
  }
}
