import type { Executor } from '../../db/database.js'
import type { MessageRow, NewMessage } from '../../db/schema.js'

/** Inserts a message; a second message with the same wamid is a no-op. True when inserted. */
export async function insertMessage(db: Executor, row: NewMessage): Promise<boolean> {
  const res = await db
    .insertInto('messages')
    .values(row)
    .onConflict((oc) => oc.column('wamid').doNothing())
    .returning('id')
    .executeTakeFirst()
  return res !== undefined
}

export const findMessage = (db: Executor, id: string): Promise<MessageRow | undefined> =>
  db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst()

export const findMessageByWamid = (db: Executor, wamid: string): Promise<MessageRow | undefined> =>
  db.selectFrom('messages').selectAll().where('wamid', '=', wamid).executeTakeFirst()

/** Messages of a conversation, newest first, paged by (timestamp, id). */
export function listMessages(db: Executor, q: { conversationId: string; after?: { at: string; id: string } | undefined; limit: number }) {
  let query = db.selectFrom('messages').selectAll().where('conversation_id', '=', q.conversationId)
  if (q.after) {
    const { at, id } = q.after
    query = query.where((eb) => eb.or([eb('timestamp', '<', at), eb.and([eb('timestamp', '=', at), eb('id', '<', id)])]))
  }
  return query.orderBy('timestamp', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute()
}

/** The newest inbound message of a conversation (the one "mark as read" refers to). */
export const findLastInbound = (db: Executor, conversationId: string) =>
  db
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('direction', '=', 'inbound')
    .orderBy('timestamp', 'desc')
    .limit(1)
    .executeTakeFirst()
