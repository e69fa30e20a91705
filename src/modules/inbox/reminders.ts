import type { Db, Executor } from '../../db/database.js'
import { activeStaff } from '../auth/users.repo.js'
import { AppError } from '../../platform/errors.js'
import { newId } from '../../platform/ids.js'
import type { JobHandler } from '../../platform/jobs/job-runner.js'
import { enqueueJob } from '../../platform/jobs/jobs.repo.js'
import { nowIso } from '../../platform/time.js'
import { ofUnrestrictedContact } from './conversations.repo.js'

/*
 * A conversation set to "waiting" (for the customer, a colleague, a delivery) may carry a reminder:
 * at that time it opens again by itself and whoever looks after it is notified — unless the
 * customer wrote first, which opens it at once and voids the reminder. The reminder is a durable
 * job queued in the transaction that sets it, so a restart in between loses none; a job whose
 * reminder was changed or cleared meanwhile finds nothing to do.
 */

const REMINDER_JOB = 'conversation.reminder'
const LONGEST_MS = 366 * 24 * 3_600_000

/** The reminder time as stored (UTC, the jobs' format), refused unless in the future and within a year. */
export function reminderTime(input: string, now = Date.now()): string {
  const at = Date.parse(input)
  if (!(at > now)) throw new AppError('inbox.reminder_in_past', 400, 'The reminder must lie in the future.', { details: { field: 'pendingUntil' } })
  if (at - now > LONGEST_MS) throw new AppError('inbox.reminder_too_far', 400, 'A reminder can be set at most a year ahead.', { details: { field: 'pendingUntil' } })
  return new Date(at).toISOString()
}

/** Queues the job that reopens the conversation at `until` (in the caller's transaction). */
export async function scheduleReminder(tx: Executor, r: { conversationId: string; until: string; setBy: string | null }): Promise<void> {
  await enqueueJob(tx, REMINDER_JOB, { conversationId: r.conversationId, until: r.until, setBy: r.setBy }, { runAt: r.until })
}

/**
 * The job: reopens the conversation if it still waits for this very reminder, and notifies its
 * assignee (or, unassigned, whoever set the reminder). `onWoken` runs after the commit.
 */
export function reminderJob(db: Db, onWoken: (conversationId: string, notified: string | null) => void): JobHandler {
  return {
    kind: REMINDER_JOB,
    run: async (payload) => {
      const conversationId = String(payload.conversationId)
      const setBy = typeof payload.setBy === 'string' ? payload.setBy : null
      const woken = await db.transaction().execute(async (tx) => {
        const now = nowIso()
        const row = await tx
          .updateTable('conversations')
          .set({ status: 'open', pending_until: null, updated_at: now })
          .where('id', '=', conversationId)
          .where('status', '=', 'pending')
          .where('pending_until', '=', String(payload.until))
          // A person restricted since (Art. 18) is hidden from the team: nobody is reminded of them.
          .where(ofUnrestrictedContact)
          .returning(['id', 'assignee_id'])
          .executeTakeFirst()
        if (!row) return undefined
        // Only an active admin or agent gets the reminder (one who left the team since gets none).
        const remind = row.assignee_id ?? setBy
        const notified = remind ? ((await activeStaff(tx, [remind]))[0] ?? null) : null
        if (notified) {
          await tx
            .insertInto('notifications')
            .values({ id: newId(), user_id: notified, kind: 'reminder', conversation_id: conversationId, note_id: null, actor_id: setBy, created_at: now, read_at: null })
            .execute()
        }
        return { notified }
      })
      if (woken) onWoken(conversationId, woken.notified)
    },
  }
}
