import type { Executor } from '../../db/database.js'
import { labelIdsOf } from '../labels/labels.repo.js'
import type { ConversationWithContact } from './conversations.repo.js'
import type { MessageVault } from './message-vault.js'
import type { ReplyClock } from '../reply-targets/reply-clock.js'
import { presentConversation, previewOf } from './presenters.js'

/** Presents conversations with their labels and last-message preview: two queries per page, not per row. */
export async function presentConversations(db: Executor, vault: MessageVault, rows: ConversationWithContact[], clock: ReplyClock) {
  const ids = rows.map((r) => r.id)
  const lastIds = rows.flatMap((r) => (r.last_message_id ? [r.last_message_id] : []))
  const [labels, last] = await Promise.all([
    labelIdsOf(db, ids),
    lastIds.length
      ? db.selectFrom('messages').select(['id', 'type', 'direction', 'status', 'content', 'key_id']).where('id', 'in', lastIds).execute().then((r) => vault.open(db, r))
      : Promise.resolve([]),
  ])
  const lastById = new Map(last.map((m) => [m.id, previewOf(m)]))
  // The contact's details opened; the shown name is a rectified one where there is one (GDPR-16).
  const opened = await vault.details.openRows(db, rows, (r) => r.contact_id)
  return opened.map((r) => presentConversation({ ...r, profile_name: r.name_override ?? r.profile_name }, { labelIds: labels.get(r.id) ?? [], lastMessage: (r.last_message_id && lastById.get(r.last_message_id)) || null, replyDueAt: r.status === 'open' ? clock.dueAt(r.channel_id, r.awaiting_reply_since) : null }))
}
