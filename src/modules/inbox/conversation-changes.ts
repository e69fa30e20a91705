import type { Executor } from '../../db/database.js'
import type { ConversationStatus } from '../../db/schema.js'
import { AppError } from '../../platform/errors.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import { activeStaff } from '../auth/users.repo.js'
import { applyLabel } from '../labels/labels.repo.js'
import { reminderTime, scheduleReminder } from './reminders.js'

/** What the team changes on a conversation: one at a time (the chat header) or many at once (the list). */
export type ConversationChange = {
  status?: ConversationStatus | undefined
  assigneeId?: string | null | undefined
  /** A reminder (ISO time; implies waiting), or null to remove it. */
  pendingUntil?: string | null | undefined
  /** A label to add. */
  labelId?: string | undefined
}

/** A change as it will be written: checked, with the reminder time settled. Throws 400 on a change that cannot be made. */
export type CheckedChange = { status: ConversationStatus | undefined; assigneeId: string | null | undefined; pendingUntil: string | null | undefined; labelId: string | undefined }

export async function checkChange(db: Executor, change: ConversationChange): Promise<CheckedChange> {
  const until = change.pendingUntil ? reminderTime(change.pendingUntil) : change.pendingUntil
  if (until && change.status && change.status !== 'pending') {
    throw new AppError('inbox.reminder_needs_pending', 400, 'A reminder belongs to a waiting conversation: send status "pending" with it, or no status.', { details: { field: 'pendingUntil' } })
  }
  if (change.assigneeId && (await activeStaff(db, [change.assigneeId])).length === 0) {
    throw new AppError('inbox.invalid_assignee', 400, 'The assignee must be an active admin or agent.', { details: { field: 'assigneeId' } })
  }
  if (change.labelId && !(await db.selectFrom('labels').select('id').where('id', '=', change.labelId).executeTakeFirst())) {
    throw new AppError('inbox.unknown_label', 400, 'There is no such label.', { details: { field: 'labelId' } })
  }
  const status = until ? 'pending' : change.status
  // Any other status ends the wait and with it the reminder.
  const pendingUntil = until !== undefined ? until : status && status !== 'pending' ? null : undefined
  return { status, assigneeId: change.assigneeId, pendingUntil, labelId: change.labelId }
}

/**
 * Writes a checked change to one conversation, in the caller's transaction. Answers whom to tell:
 * the colleague a person gave the conversation to (not themselves), who finds it under the bell.
 */
export async function applyChange(tx: Executor, c: { id: string; status: ConversationStatus; assignee_id: string | null }, change: CheckedChange, by: string | null): Promise<{ notify: string | null }> {
  const { status, assigneeId, pendingUntil, labelId } = change
  const reassigned = assigneeId !== undefined && assigneeId !== c.assignee_id
  const now = nowIso()
  await tx
    .updateTable('conversations')
    .set({
      ...(status ? { status } : {}),
      // When it changed hands: automatic assignment leaves a conversation someone handed back until the customer writes again.
      ...(reassigned ? { assignee_id: assigneeId, assignee_changed_at: now } : {}),
      ...(pendingUntil !== undefined ? { pending_until: pendingUntil } : {}),
      // Resolved or set to wait: nobody is late with an answer (the customer's next message starts a new wait).
      ...(status === 'resolved' || status === 'pending' ? { awaiting_reply_since: null } : {}),
      updated_at: now,
    })
    .where('id', '=', c.id)
    .execute()
  if (pendingUntil) await scheduleReminder(tx, { conversationId: c.id, until: pendingUntil, setBy: by })
  if (labelId) await applyLabel(tx, { conversationId: c.id, labelId, by })
  // Resolution times (statistics) start at the customer's first unanswered message and end here.
  if (status === 'resolved' && c.status !== 'resolved') {
    await tx.insertInto('conversation_resolutions').values({ id: newId(), conversation_id: c.id, resolved_by: by, resolved_at: now }).execute()
  }
  const notify = reassigned && assigneeId && assigneeId !== by ? assigneeId : null
  if (notify) await tx.insertInto('notifications').values({ id: newId(), user_id: notify, kind: 'assigned', conversation_id: c.id, note_id: null, actor_id: by, created_at: now, read_at: null }).execute()
  return { notify }
}
