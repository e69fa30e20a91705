import type { FastifyBaseLogger } from 'fastify'
import { z } from 'zod'
import type { Db, Executor } from '../../db/database.js'
import { isoPlus, nowIso } from '../../platform/time.js'
import { ofUnrestrictedContact } from '../inbox/conversations.repo.js'
import { getSetting } from '../settings/settings.repo.js'

/**
 * Conversations the team answered and the customer never came back to are set to resolved after
 * this many days, so the open list holds what needs work (and colleagues with a limit get room).
 * Off by default. Only those where *we* wrote last: a customer still waiting for an answer is
 * never put away unanswered.
 */
export const autoResolveSchema = z.object({ afterDays: z.number().int().min(1).max(365).nullable().default(null) })
export type AutoResolve = z.infer<typeof autoResolveSchema>
export const AUTO_RESOLVE_KEY = 'inbox.auto_resolve'

export const readAutoResolve = async (db: Executor): Promise<AutoResolve> => autoResolveSchema.catch(autoResolveSchema.parse({})).parse((await getSetting<unknown>(db, AUTO_RESOLVE_KEY)) ?? {})

const BATCH = 500

/**
 * Resolves the open conversations quiet for the set days whose last message is ours. Each update
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
    .where((eb) => eb.or([eb('last_inbound_at', 'is', null), eb('last_inbound_at', '<', eb.ref('last_message_at'))]))
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
      .returning('id')
      .executeTakeFirst()
    if (done) resolved.push(done.id)
  }
  return resolved
}

/** Looks for quiet conversations every few minutes, and at once when the setting is saved. */
export class InactiveResolver {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false

  constructor(
    private readonly db: Db,
    private readonly log: FastifyBaseLogger,
    private readonly onResolved: (ids: string[]) => void,
    private readonly intervalMs = 5 * 60_000,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.run(), this.intervalMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.running
  }

  /**
   * A pass, reading the setting anew. Asked while one is going (a setting saved meanwhile), one
   * more pass follows it, so a change never waits for the next tick.
   */
  run(): Promise<void> {
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = this.passes()
    return this.running
  }

  private async passes(): Promise<void> {
    try {
      do {
        this.again = false
        const { afterDays } = await readAutoResolve(this.db)
        if (afterDays === null) continue
        for (;;) {
          const ids = await resolveInactive(this.db, afterDays)
          if (ids.length > 0) this.onResolved(ids)
          if (ids.length < BATCH) break
        }
      } while (this.again)
    } catch (error) {
      this.log.error({ err: error }, 'resolving quiet conversations failed; the next pass tries again')
    } finally {
      this.running = undefined
    }
  }
}
