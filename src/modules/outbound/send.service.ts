import parsePhoneNumber from 'libphonenumber-js'
import type { Db, Executor } from '../../db/database.js'
import type { ConversationRow, MessageRow } from '../../db/schema.js'
import { AppError, badRequest, conflict, notFound } from '../../platform/errors.js'
import { newId } from '../../platform/ids.js'
import { enqueueJob } from '../../platform/jobs/jobs.repo.js'
import { HOUR, nowIso } from '../../platform/time.js'
import { upsertContact } from '../contacts/contacts.repo.js'
import { mayResendFailure } from '../whatsapp/graph-errors.js'
import { findConversation, touchConversation } from '../inbox/conversations.repo.js'
import type { MessageVault } from '../inbox/message-vault.js'
import type { OutboundMessage } from './outbound.schemas.js'

export const SEND_JOB = 'message.send'
export const WINDOW_MS = 24 * HOUR

/** When the 24-hour customer-service window closes, or null when it is closed. */
export function windowExpiresAt(lastInboundAt: string | null, now = Date.now()): string | null {
  if (!lastInboundAt) return null
  const end = Date.parse(lastInboundAt) + WINDOW_MS
  return end > now ? new Date(end).toISOString() : null
}

/**
 * Queues a message in a conversation: policy checks first (24-hour window for anything but a
 * template, media present), then message row `queued` and its send job in one transaction. The
 * worker does the Graph call; nothing here talks to Meta.
 */
export async function queueMessage(
  db: Db,
  vault: MessageVault,
  q: {
    conversationId: string
    message: OutboundMessage
    sentBy: string | null
    purpose?: string | null
    beforeQueue?: (conversation: ConversationRow) => Promise<void>
    /** Runs in the send's transaction just before the message is queued (e.g. the privacy notice goes first). */
    precede?: (tx: Executor, conversation: ConversationRow) => Promise<void>
  },
): Promise<MessageRow> {
  const conversation = await findConversation(db, q.conversationId)
  if (!conversation) throw notFound('Conversation')
  const { message } = q
  if (message.type !== 'template' && !windowExpiresAt(conversation.last_inbound_at)) {
    throw conflict('inbox.window_closed', 'The 24-hour window is closed: only a template message can be sent.', {
      lastInboundAt: conversation.last_inbound_at,
    })
  }
  await checkMediaReady(db, message)
  await q.beforeQueue?.(conversation)
  const contextWamid = 'context' in message && message.context ? await resolveContext(db, conversation.id, message.context.message_id) : null
  if (message.type === 'reaction') message.reaction.message_id = await resolveContext(db, conversation.id, message.reaction.message_id)
  const { context: _ctx, purpose: _purpose, ...content } = message as OutboundMessage & { context?: unknown; purpose?: unknown }
  return db.transaction().execute(async (tx) => {
    await q.precede?.(tx, conversation)
    return insertQueued(tx, vault, conversation, { type: message.type, content, contextWamid, sentBy: q.sentBy, purpose: q.purpose ?? null })
  })
}

/** The queued message row, its send job and the conversation's activity, in the caller's transaction. */
export async function insertQueued(
  tx: Executor,
  vault: MessageVault,
  conversation: Pick<ConversationRow, 'id' | 'contact_id' | 'channel_id'>,
  m: { type: string; content: Record<string, unknown>; contextWamid?: string | null; sentBy: string | null; purpose?: string | null },
): Promise<MessageRow> {
  const now = nowIso()
  const row: MessageRow = {
    id: newId(),
    conversation_id: conversation.id,
    wamid: null,
    direction: 'outbound',
    type: m.type,
    status: 'queued',
    timestamp: now,
    content: JSON.stringify(m.content),
    key_id: null,
    context_wamid: m.contextWamid ?? null,
    error_code: null,
    error_title: null,
    error_detail: null,
    sent_by: m.sentBy,
    journal_seq: null,
    purpose: m.purpose ?? null,
    retention_class: null,
    created_at: now,
    updated_at: now,
  }
  await vault.insert(tx, [{ row, contactId: conversation.contact_id }])
  await enqueueJob(tx, SEND_JOB, { messageId: row.id }, { groupKey: conversation.id })
  // A colleague's message answers the customer (automatic answers and reactions do not, as in the statistics).
  await touchConversation(tx, { contactId: conversation.contact_id, channelId: conversation.channel_id, at: now, inbound: false, answered: m.sentBy !== null && m.type !== 'reaction' })
  return row
}

/** Starts (or continues) a conversation with a number by template, the only way to write first. */
export async function startConversation(
  db: Db,
  vault: MessageVault,
  q: { channelId: string; to: string; message: OutboundMessage; sentBy: string | null; purpose?: string | null; beforeQueue?: (conversation: ConversationRow) => Promise<void> },
) {
  const phone = parsePhoneNumber('+' + q.to)
  if (!phone?.isValid()) throw badRequest(`${q.to} is not a valid phone number.`, { field: 'to' })
  const now = nowIso()
  const conversation = await db.transaction().execute(async (tx) => {
    const contact = await upsertContact(tx, vault.details, { waId: phone.number.slice(1), userId: undefined }, now)
    return touchConversation(tx, { contactId: contact.id, channelId: q.channelId, at: now, inbound: false })
  })
  return queueMessage(db, vault, { conversationId: conversation.id, message: q.message, sentBy: q.sentBy, purpose: q.purpose ?? null, ...(q.beforeQueue ? { beforeQueue: q.beforeQueue } : {}) })
}

/** A reply or reaction names a message by wamid (as in the Cloud API) or by our id. */
async function resolveContext(db: Db, conversationId: string, ref: string): Promise<string> {
  const target = await db
    .selectFrom('messages')
    .select(['wamid'])
    .where('conversation_id', '=', conversationId)
    .where((eb) => eb.or([eb('id', '=', ref), eb('wamid', '=', ref)]))
    .executeTakeFirst()
  if (!target?.wamid) throw badRequest('The message replied or reacted to is not in this conversation (or not sent yet).', { field: 'context' })
  return target.wamid
}

async function checkMediaReady(db: Db, message: OutboundMessage): Promise<void> {
  const media = (message as Record<string, unknown>)[message.type] as { id?: string } | undefined
  if (!media?.id || !['image', 'video', 'audio', 'sticker', 'document'].includes(message.type)) return
  const row = await db.selectFrom('media').select(['state', 'direction']).where('id', '=', media.id).executeTakeFirst()
  if (!row || row.state !== 'stored') throw new AppError('media.not_found', 400, `Media ${media.id} is not uploaded.`)
}

/** Re-queues a message whose send outcome is unknown, at the agent's explicit request. */
export async function resendUncertain(db: Db, messageId: string): Promise<void> {
  const current = await db.selectFrom('messages').select(['status', 'error_title']).where('id', '=', messageId).executeTakeFirst()
  if (current?.status === 'failed' && !mayResendFailure(current.error_title)) {
    throw conflict('inbox.not_resendable', 'This failure cannot be fixed by sending again (for example an opt-out or a closed window).')
  }
  await db.transaction().execute(async (tx) => {
    const res = await tx
      .updateTable('messages')
      .set({ status: 'queued', updated_at: nowIso() })
      .where('id', '=', messageId)
      .where('status', 'in', ['uncertain', 'failed'])
      .where('wamid', 'is', null)
      .returning('conversation_id')
      .executeTakeFirst()
    if (!res) throw conflict('inbox.not_resendable', 'Only a failed or uncertain message that has no wamid can be sent again.')
    await enqueueJob(tx, SEND_JOB, { messageId }, { groupKey: res.conversation_id })
  })
}
