import type { Executor } from '../../db/database.js'
import type { MessageVault } from '../inbox/message-vault.js'
import type { MediaUploader } from './media-uploader.js'

/** Everything the worker needs to send these messages, read in one query. */
export async function loadSendables(db: Executor, vault: MessageVault, messageIds: string[]) {
  const rows = await db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .leftJoin('channels', 'channels.id', 'conversations.channel_id')
    .select([
      'messages.id',
      'messages.status',
      'messages.type',
      'messages.content',
      'messages.key_id',
      'messages.context_wamid',
      'messages.purpose',
      'contacts.id as contactId',
      'conversations.id as conversationId',
      'conversations.channel_id as channelId',
      'contacts.wa_id',
      'contacts.user_id',
      'channels.paused_reason as channelPaused',
    ])
    .where('messages.id', 'in', messageIds)
    .execute()
    .then((r) => vault.open(db, r))
    .then((r) => vault.details.openRows(db, r, (m) => m.contactId))
  return new Map(rows.map(({ wa_id, user_id, ...r }) => [r.id, { ...r, waId: wa_id, userId: user_id }]))
}

export type Sendable = NonNullable<ReturnType<Awaited<ReturnType<typeof loadSendables>>['get']>>

const MEDIA = new Set(['image', 'video', 'audio', 'sticker', 'document'])

/**
 * The Cloud API request body for a stored message. Recipients are addressed by phone number when
 * we have one, else by BSUID (`recipient`). Our message id rides along as
 * `biz_opaque_callback_data`, so status webhooks can name it even if we lost the send response.
 */
export async function toGraphBody(m: Sendable, media: MediaUploader): Promise<Record<string, unknown>> {
  const content = JSON.parse(m.content) as Record<string, unknown>
  const body: Record<string, unknown> = {
    recipient_type: 'individual',
    ...(m.waId ? { to: m.waId } : { recipient: m.userId }),
    ...content,
    biz_opaque_callback_data: m.id,
  }
  if (m.context_wamid) body.context = { message_id: m.context_wamid }
  if (MEDIA.has(m.type)) {
    const ref = content[m.type] as { id?: string; link?: string }
    if (ref.id) body[m.type] = { ...ref, id: await media.graphIdFor(ref.id, m.channelId) }
  }
  return body
}
