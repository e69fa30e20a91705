import type { Executor } from '../../db/database.js'
import type { NoteRow } from '../../db/schema.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import type { ContactDetails } from '../contacts/contact-details.js'

/*
 * A note is what the team writes about a customer ("called, wants a refund to IBAN …"): its body
 * is sealed with the customer's data key like their names (GDPR-32), and an erasure that destroys
 * the key leaves nothing readable behind, in the table or in a backup.
 */

/** Writes a note (its body sealed) and one notification per mentioned colleague, in the caller's transaction. Returns the row as written, with its body as given. */
export async function insertNote(db: Executor, details: ContactDetails, n: { conversationId: string; contactId: string; authorId: string; body: string; mentions: string[] }): Promise<NoteRow> {
  const row: NoteRow = {
    id: newId(),
    conversation_id: n.conversationId,
    author_id: n.authorId,
    body: n.body,
    mentions: JSON.stringify(n.mentions),
    created_at: nowIso(),
  }
  await db.insertInto('notes').values({ ...row, body: (await details.seal(db, n.contactId, n.body, 'note'))! }).execute()
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

/** A conversation's notes with their bodies opened (empty once the customer's key is destroyed). */
export async function listNotes(db: Executor, details: ContactDetails, conversation: { id: string; contact_id: string }) {
  const rows = await db
    .selectFrom('notes')
    .innerJoin('users', 'users.id', 'notes.author_id')
    .selectAll('notes')
    .select('users.name as author_name')
    .where('notes.conversation_id', '=', conversation.id)
    .orderBy('notes.created_at')
    .orderBy('notes.id')
    .execute()
  return openNoteBodies(db, details, rows, () => conversation.contact_id)
}

/** Notes' bodies opened; `contactOf` names the customer each row's note is about. */
export async function openNoteBodies<T extends { body: string }>(db: Executor, details: ContactDetails, rows: T[], contactOf: (row: T) => string): Promise<T[]> {
  await details.preload(db, rows.map((r) => r.body))
  const out: T[] = []
  for (const r of rows) out.push({ ...r, body: (await details.open(db, contactOf(r), r.body, 'note')) ?? '' })
  return out
}

export async function listNotifications(db: Executor, details: ContactDetails, userId: string, limit: number) {
  const rows = await db
    .selectFrom('notifications')
    .leftJoin('notes', 'notes.id', 'notifications.note_id')
    .leftJoin('conversations', 'conversations.id', 'notifications.conversation_id')
    .leftJoin('users', 'users.id', 'notifications.actor_id')
    .leftJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .selectAll('notifications')
    .select(['notes.body as note_body', 'conversations.contact_id', 'users.name as actor_name', 'contacts.profile_name', 'contacts.name_override', 'contacts.wa_id'])
    .where('notifications.user_id', '=', userId)
    .where('contacts.restricted_at', 'is', null) // a restricted person is hidden from the team (Art. 18), their notes and names too
    .orderBy('notifications.created_at', 'desc')
    .orderBy('notifications.id', 'desc')
    .limit(limit)
    .execute()
  await details.preload(db, rows.map((r) => r.note_body))
  // Whom the conversation is with: the shown name (a rectified one wins), else the number.
  const opened = await details.openRows(db, rows, (r) => r.contact_id ?? '')
  const out = []
  for (const r of opened) {
    const note_body = r.note_body && r.contact_id ? await details.open(db, r.contact_id, r.note_body, 'note') : null
    out.push({ ...r, note_body, contact_shown: r.name_override ?? r.profile_name ?? r.wa_id })
  }
  return out
}

export async function markNotificationsRead(db: Executor, userId: string, ids: string[] | undefined): Promise<void> {
  let q = db.updateTable('notifications').set({ read_at: nowIso() }).where('user_id', '=', userId).where('read_at', 'is', null)
  if (ids) q = q.where('id', 'in', ids)
  await q.execute()
}
