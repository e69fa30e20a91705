import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely'
import { z } from 'zod'
import type { Executor } from '../../db/database.js'
import type { Database } from '../../db/schema.js'
import { automationKey, DEFAULT_AUTOMATION, scheduleOf, type AutomationSettings } from '../automation/automation-settings.js'
import { addOpenTime, type Schedule, subtractOpenTime } from '../automation/opening-hours.js'

/**
 * How soon a customer should have a colleague's answer. Off until an admin sets it. Counted in
 * opening hours by default (what a customer is told: "we answer within two hours on working
 * days"), or around the clock.
 */
export const replyTargetSchema = z.object({
  /** A customer who has waited longer than this for an answer is overdue; null: no target. */
  minutes: z.number().int().min(5).max(7 * 24 * 60).nullable().default(null),
  /** Count only the opening hours (Settings → Öffnungszeiten) of the conversation's number. */
  openingHoursOnly: z.boolean().default(true),
})
export type ReplyTarget = z.infer<typeof replyTargetSchema>
export const REPLY_TARGET_KEY = 'inbox.reply_target'

const parseTarget = (value: unknown): ReplyTarget => replyTargetSchema.catch(replyTargetSchema.parse({})).parse(value ?? {})

type Conversations = ExpressionBuilder<Database, 'conversations'>

/**
 * The reply target with the opening hours it is counted in (each number's own, else the
 * workspace's): when a waiting customer is due an answer, and which conversations are overdue.
 * Read anew per request (one query), so every instance goes by the same settings at once.
 */
export class ReplyClock {
  private constructor(
    readonly target: ReplyTarget,
    /** Numbers with opening hours of their own. */
    private readonly own: Map<string, Schedule>,
    private readonly workspace: Schedule,
  ) {}

  static async load(db: Executor): Promise<ReplyClock> {
    const prefix = automationKey('x').slice(0, -1) // a number's own opening hours: `automation.channel.<id>`
    const rows = await db
      .selectFrom('settings')
      .select(['key', 'value'])
      .where((eb) => eb.or([eb('key', 'in', [REPLY_TARGET_KEY, automationKey()]), eb('key', 'like', `${prefix}%`)]))
      .execute()
    const values = new Map(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]))
    const own = new Map<string, Schedule>()
    for (const [key, value] of values) if (key.startsWith(prefix)) own.set(key.slice(prefix.length), scheduleOf(value as AutomationSettings))
    const workspace = scheduleOf((values.get(automationKey()) as AutomationSettings | undefined) ?? DEFAULT_AUTOMATION)
    return new ReplyClock(parseTarget(values.get(REPLY_TARGET_KEY)), own, workspace)
  }

  private scheduleOf(channelId: string): Schedule {
    return this.own.get(channelId) ?? this.workspace
  }

  /** When a customer waiting since `since` is due an answer (null: no target, nobody waiting, or never within a year). */
  dueAt(channelId: string, since: string | null): string | null {
    const { minutes, openingHoursOnly } = this.target
    if (minutes === null || since === null) return null
    const start = Date.parse(since)
    const due = openingHoursOnly ? addOpenTime(start, minutes * 60_000, this.scheduleOf(channelId)) : start + minutes * 60_000
    return due === null ? null : new Date(due).toISOString()
  }

  /**
   * Open conversations whose customer is past the target at `now`: waiting since at or before the
   * instant from which the target's time has passed by now (one comparison per schedule, so the
   * list and its counts filter in SQL).
   */
  overdue(now: number): (eb: Conversations) => Expression<SqlBool> {
    const { minutes, openingHoursOnly } = this.target
    const never = () => sql<SqlBool>`1 = 0`
    if (minutes === null) return never
    const ms = minutes * 60_000
    const before = (s: Schedule) => {
      const at = openingHoursOnly ? subtractOpenTime(now, ms, s) : now - ms
      return at === null ? null : new Date(at).toISOString()
    }
    // Around the clock, or in opening hours: each number with hours of its own, and all the others.
    type Group = { only?: string; except?: string[]; before: string | null }
    const owned = openingHoursOnly ? [...this.own] : []
    const groups: Group[] = [
      ...owned.map(([channelId, s]) => ({ only: channelId, before: before(s) })),
      { ...(owned.length ? { except: owned.map(([channelId]) => channelId) } : {}), before: before(this.workspace) },
    ].filter((g) => g.before !== null)
    if (!groups.length) return never
    return (eb) =>
      eb.and([
        eb('conversations.status', '=', 'open'),
        eb.or(
          groups.map((g) =>
            eb.and([
              eb('conversations.awaiting_reply_since', '<=', g.before!),
              ...(g.only ? [eb('conversations.channel_id', '=', g.only)] : []),
              ...(g.except ? [eb('conversations.channel_id', 'not in', g.except)] : []),
            ]),
          ),
        ),
      ])
  }
}

export const readReplyTarget = async (db: Executor): Promise<ReplyTarget> => (await ReplyClock.load(db)).target
