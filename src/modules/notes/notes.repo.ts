import type { Executor } from '../../db/database.js'
import type { NoteRow } from '../../db/schema.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'

/** Writes a note and one notification per mentioned colleague, in the caller's transaction. */
export async function insertNote(db: Executor, n: { conversationId: string; authorId: string; body: string; mentions: string[] }): Promise<NoteRow> {
  const row: NoteRow = {
    id: newId(),
    conversation_id: n.conversationId,
    author_id: n.authorId,
    body: n.body,
    mentions: JSON.stringify(n.mentions),
    created_at: nowIso(),
  }
  await db.insertInto('notes').values(row).execute()
  const notified = n.mentions.filter((id) => id !== n.authorId)
  if (notified.length) {
    await db
      .insertInto('notifications')
      .values(
        notified.map((userId) => ({
          id: newId(),
          user_id: userId,
          kind: 'mention' as const,
          conversation_id: n.conversationId,
          note_id: row.id,
          actor_id: n.authorId,
          created_at: row.created_at,
          read_at: null,
        })),
      )
      .execute()
  }
  return row
}

export const listNotes = (db: Executor, conversationId: string) =>
  db
    .selectFrom('notes')
    .innerJoin('users', 'users.id', 'notes.author_id')
    .selectAll('notes')
    .select('users.name as author_name')
    .where('notes.conversation_id', '=', conversationId)
    .orderBy('notes.created_at')
    .orderBy('notes.id')
    .execute()

export const listNotifications = (db: Executor, userId: string, limit: number) =>
  db
    .selectFrom('notifications')
    .leftJoin('notes', 'notes.id', 'notifications.note_id')
    .leftJoin('users', 'users.id', 'notifications.actor_id')
    .selectAll('notifications')
    .select(['notes.body as note_body', 'users.name as actor_name'])
    .where('notifications.user_id', '=', userId)
    .orderBy('notifications.created_at', 'desc')
    .orderBy('notifications.id', 'desc')
    .limit(limit)
    .execute()

export async function markNotificationsRead(db: Executor, userId: string, ids: string[] | undefined): Promise<void> {
  let q = db.updateTable('notifications').set({ read_at: nowIso() }).where('user_id', '=', userId).where('read_at', 'is', null)
  if (ids) q = q.where('id', 'in', ids)
  await q.execute()
}
