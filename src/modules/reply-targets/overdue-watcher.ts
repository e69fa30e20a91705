import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../../db/database.js'
import { newId } from '../../platform/ids.js'
import { PeriodicPass } from '../../platform/periodic-pass.js'
import { ofUnrestrictedContact } from '../inbox/conversations.repo.js'
import { ReplyClock } from './reply-clock.js'

export type OverdueNotice = { userId: string; conversationId: string }

const BATCH = 200

/**
 * Tells the team once per wait that a customer has waited longer than the reply target: the
 * assignee (and the admins, who lead the team, while the assignee is away), or — while nobody has
 * the conversation — the admins. Each
 * conversation is claimed by a conditional update, so two instances never tell anyone twice; a
 * new wait (the customer writes again after an answer) is told again.
 */
export async function notifyOverdue(db: Db, now: number): Promise<OverdueNotice[]> {
  const clock = await ReplyClock.load(db)
  if (clock.target.minutes === null) return []
  const at = new Date(now).toISOString()
  const notices: OverdueNotice[] = []
  for (;;) {
    const late = await db
      .selectFrom('conversations')
      .leftJoin('team_presence', 'team_presence.user_id', 'conversations.assignee_id')
      .select(['conversations.id', 'conversations.assignee_id', 'conversations.awaiting_reply_since', 'team_presence.availability'])
      .where(clock.overdue(now))
      .where((eb) => eb.or([eb('overdue_notified_for', 'is', null), eb('overdue_notified_for', '<>', eb.ref('awaiting_reply_since'))]))
      .where(ofUnrestrictedContact)
      .orderBy('conversations.awaiting_reply_since')
      .limit(BATCH)
      .execute()
    if (!late.length) return notices
    const admins = late.some((c) => !c.assignee_id || c.availability === 'away') ? (await db.selectFrom('users').select('id').where('role', '=', 'admin').where('active', '=', 1).execute()).map((u) => u.id) : []
    // The assignee; the admins too while the assignee is away (on holiday, the customer would wait unseen), and alone while nobody has it.
    const recipients = (c: (typeof late)[number]) => (c.assignee_id ? [...new Set([c.assignee_id, ...(c.availability === 'away' ? admins : [])])] : admins)
    for (const c of late) {
      const told = await db.transaction().execute(async (tx) => {
        const claimed = await tx
          .updateTable('conversations')
          .set({ overdue_notified_for: c.awaiting_reply_since })
          .where('id', '=', c.id)
          .where('awaiting_reply_since', '=', c.awaiting_reply_since)
          .where((eb) => eb.or([eb('overdue_notified_for', 'is', null), eb('overdue_notified_for', '<>', eb.ref('awaiting_reply_since'))]))
          .returning('id')
          .executeTakeFirst()
        const to = claimed ? recipients(c) : []
        if (to.length) {
          await tx
            .insertInto('notifications')
            .values(to.map((userId) => ({ id: newId(), user_id: userId, kind: 'reply_overdue' as const, conversation_id: c.id, note_id: null, actor_id: null, created_at: at, read_at: null })))
            .execute()
        }
        return to
      })
      notices.push(...told.map((userId) => ({ userId, conversationId: c.id })))
    }
    if (late.length < BATCH) return notices
  }
}

/** Looks for customers past the reply target every minute, and at once when the target is saved. */
export class OverdueWatcher extends PeriodicPass {
  constructor(db: Db, log: FastifyBaseLogger, now: () => number, onNotified: (notices: OverdueNotice[]) => void, intervalMs = 60_000) {
    super(
      async () => {
        const notices = await notifyOverdue(db, now())
        if (notices.length) onNotified(notices)
      },
      (error) => log.error({ err: error }, 'telling the team of overdue answers failed; the next pass tries again'),
      intervalMs,
    )
  }
}
