import type { Executor } from '../../db/database.js'
import type { MessageRow } from '../../db/schema.js'
import type { MessageVault } from './message-vault.js'

/** A message, its content opened. */
export const findMessage = async (db: Executor, vault: MessageVault, id: string): Promise<MessageRow | undefined> =>
  vault.openOne(db, await db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst())

/** Messages of a conversation, newest first, paged by (timestamp, id), their contents opened. */
export async function listMessages(db: Executor, vault: MessageVault, q: { conversationId: string; after?: { at: string; id: string } | undefined; limit: number }) {
  let query = db.selectFrom('messages').selectAll().where('conversation_id', '=', q.conversationId)
  if (q.after) {
    const { at, id } = q.after
    query = query.where((eb) => eb.or([eb('timestamp', '<', at), eb.and([eb('timestamp', '=', at), eb('id', '<', id)])]))
  }
  return vault.open(db, await query.orderBy('timestamp', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute())
}

/** The newest inbound message of a conversation (the one "mark as read" refers to); its content stays sealed. */
export const findLastInbound = (db: Executor, conversationId: string) =>
  db
    .selectFrom('messages')
    .select(['id', 'wamid'])
    .where('conversation_id', '=', conversationId)
    .where('direction', '=', 'inbound')
    .orderBy('timestamp', 'desc')
    .limit(1)
    .executeTakeFirst()
