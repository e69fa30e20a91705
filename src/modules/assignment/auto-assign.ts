import { PostgresAdapter, sql } from 'kysely'
import type { Db } from '../../db/database.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import { ofUnrestrictedContact } from '../inbox/conversations.repo.js'
import type { AssignmentSettings } from './assignment-settings.js'
import { teamStatus, type TeamMemberStatus } from './presence.repo.js'

export type Assignment = { conversationId: string; userId: string }

/** Conversations taken per run; the next run (at once when this one was full) takes the rest. */
const BATCH = 200

/**
 * The colleague who gets the next conversation: of those available, present and below the limit,
 * the one with the fewest open conversations; on a tie, whoever got one automatically longest ago.
 */
function nextColleague(candidates: TeamMemberStatus[], max: number | null): TeamMemberStatus | undefined {
  let best: TeamMemberStatus | undefined
  for (const c of candidates) {
    if (max !== null && c.open >= max) continue
    if (!best || c.open < best.open || (c.open === best.open && (c.lastAssignedAt ?? '') < (best.lastAssignedAt ?? ''))) best = c
  }
  return best
}

/**
 * Gives the conversations waiting for someone to colleagues, in the order the customers wrote.
 * Waiting: open, nobody's, the customer has written, and written since the assignee last changed —
 * a conversation someone handed back waits for the customer's next message, so it does not bounce
 * straight back. Conversations of restricted people (Art. 18) are left alone. One run at a time
 * across instances (a transaction-scoped lock on PostgreSQL; SQLite has a single writer); the
 * update re-checks that nobody took the conversation meanwhile.
 */
export async function assignWaiting(db: Db, settings: AssignmentSettings): Promise<{ assigned: Assignment[]; more: boolean }> {
  return db.transaction().execute(async (tx) => {
    if (tx.getExecutor().adapter instanceof PostgresAdapter) await sql`select pg_advisory_xact_lock(20261202, hashtext(current_schema()))`.execute(tx)
    const now = nowIso()
    const candidates = (await teamStatus(tx, now)).filter((m) => m.availability === 'available' && m.present && (m.role === 'agent' || settings.includeAdmins))
    if (candidates.length === 0) return { assigned: [], more: false }
    const waiting = await tx
      .selectFrom('conversations')
      .select('id')
      .where('status', '=', 'open')
      .where('assignee_id', 'is', null)
      .where('last_inbound_at', 'is not', null)
      // Stored after the hand-back (our clock: Meta's timestamps are whole seconds of the phone's clock).
      .where((eb) =>
        eb.or([
          eb('assignee_changed_at', 'is', null),
          eb.exists(eb.selectFrom('messages').select('messages.id').whereRef('messages.conversation_id', '=', 'conversations.id').where('messages.direction', '=', 'inbound').whereRef('messages.created_at', '>', 'conversations.assignee_changed_at')),
        ]),
      )
      .where(ofUnrestrictedContact)
      .orderBy('last_inbound_at', 'asc')
      .orderBy('id')
      .limit(BATCH)
      .execute()
    const assigned: Assignment[] = []
    for (const { id } of waiting) {
      const colleague = nextColleague(candidates, settings.maxOpenPerPerson)
      if (!colleague) break
      const taken = await tx
        .updateTable('conversations')
        .set({ assignee_id: colleague.id, assignee_changed_at: now, updated_at: now })
        .where('id', '=', id)
        .where('assignee_id', 'is', null)
        .where('status', '=', 'open')
        .returning('id')
        .executeTakeFirst()
      if (!taken) continue
      await tx.insertInto('notifications').values({ id: newId(), user_id: colleague.id, kind: 'assigned', conversation_id: id, note_id: null, actor_id: null, created_at: now, read_at: null }).execute()
      colleague.open++
      colleague.lastAssignedAt = now
      assigned.push({ conversationId: id, userId: colleague.id })
    }
    const given = new Set(assigned.map((a) => a.userId))
    if (given.size > 0) await tx.updateTable('team_presence').set({ last_assigned_at: now }).where('user_id', 'in', [...given]).execute()
    return { assigned, more: waiting.length === BATCH && assigned.length > 0 }
  })
}
