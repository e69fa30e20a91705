import type { Executor } from '../../db/database.js'
import { enqueueJob } from '../../platform/jobs/jobs.repo.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import { applyNumberChange, upsertContact } from '../contacts/contacts.repo.js'
import { touchConversation } from '../inbox/conversations.repo.js'
import { applyStoredStatuses } from '../inbox/message-status.js'
import { insertMessage } from '../inbox/messages.repo.js'
import { KNOWN_MESSAGE_TYPES, MEDIA_TYPES, type InboundMessageEvent, type StatusEvent, type WebhookEvent } from './webhook-events.js'

export const MEDIA_DOWNLOAD_JOB = 'media.download'

/**
 * Applies the events of one journal entry to contacts, conversations, messages and statuses, in
 * the caller's transaction. Idempotent: re-applying the same entry changes nothing (unique wamid,
 * unique (wamid, status)), so projections can be rebuilt from the journal.
 */
export async function projectWebhook(
  db: Executor,
  journalSeq: number,
  events: WebhookEvent[],
  isOurNumber: (phoneNumberId: string | undefined) => boolean,
): Promise<{ unrouted: string[] }> {
  const unrouted = new Set<string>()
  for (const event of events) {
    if (event.kind !== 'other' && !isOurNumber(event.phoneNumberId)) {
      unrouted.add(event.phoneNumberId ?? '(none)')
      continue
    }
    if (event.kind === 'message') await projectMessage(db, journalSeq, event)
    else if (event.kind === 'status') await projectStatus(db, journalSeq, event)
  }
  if (unrouted.size > 0) {
    await db
      .insertInto('unrouted_events')
      .values({ journal_seq: journalSeq, phone_number_id: [...unrouted].join(','), reason: 'phone number id not configured', created_at: nowIso() })
      .onConflict((oc) => oc.column('journal_seq').doNothing())
      .execute()
  }
  return { unrouted: [...unrouted] }
}

async function projectMessage(db: Executor, journalSeq: number, e: InboundMessageEvent): Promise<void> {
  const contact = await upsertContact(db, e.contact, e.timestamp)
  const conversation = await touchConversation(db, { contactId: contact.id, channelId: e.phoneNumberId!, at: e.timestamp, inbound: true })
  const type = KNOWN_MESSAGE_TYPES.has(e.type) ? e.type : 'unsupported'
  const messageId = newId()
  const now = nowIso()
  const context = e.raw.context as { id?: string } | undefined
  const inserted = await insertMessage(db, {
    id: messageId,
    conversation_id: conversation.id,
    wamid: e.wamid,
    direction: 'inbound',
    type,
    status: 'received',
    timestamp: e.timestamp,
    content: JSON.stringify(e.raw),
    key_id: null,
    context_wamid: typeof context?.id === 'string' ? context.id : null,
    error_code: null,
    error_title: null,
    error_detail: null,
    sent_by: null,
    journal_seq: journalSeq,
    created_at: now,
    updated_at: now,
  })
  if (!inserted) return
  if (MEDIA_TYPES.has(type)) await registerInboundMedia(db, messageId, type, e.raw[type] as Record<string, unknown> | undefined)
  if (type === 'system') {
    const system = e.raw.system as { type?: string; wa_id?: string; user_id?: string } | undefined
    if (system?.type === 'user_changed_number' || system?.type === 'user_changed_user_id') {
      await applyNumberChange(db, contact.id, { newWaId: system.wa_id, newUserId: system.user_id })
    }
  }
}

/** Records Meta's media id on the message and queues the download into our own store. */
async function registerInboundMedia(db: Executor, messageId: string, type: string, media: Record<string, unknown> | undefined) {
  if (!media || typeof media.id !== 'string') return
  const now = nowIso()
  await db
    .insertInto('media')
    .values({
      id: messageId, // one media per message: the message id names it
      direction: 'inbound',
      state: 'pending',
      mime_type: typeof media.mime_type === 'string' ? media.mime_type : 'application/octet-stream',
      filename: typeof media.filename === 'string' ? media.filename : null,
      size: null,
      sha256: null,
      expected_sha256: typeof media.sha256 === 'string' ? media.sha256 : null,
      graph_media_id: media.id,
      graph_uploaded_at: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    })
    .execute()
  await enqueueJob(db, MEDIA_DOWNLOAD_JOB, { mediaId: messageId, type })
}

async function projectStatus(db: Executor, journalSeq: number, e: StatusEvent): Promise<void> {
  await db
    .insertInto('message_statuses')
    .values({
      wamid: e.wamid,
      status: e.status,
      occurred_at: e.timestamp,
      errors: e.errors ? JSON.stringify(e.errors) : null,
      pricing: e.pricing === undefined ? null : JSON.stringify(e.pricing),
      biz_opaque_callback_data: e.bizOpaqueCallbackData ?? null,
      journal_seq: journalSeq,
    })
    .onConflict((oc) => oc.columns(['wamid', 'status']).doNothing())
    .execute()
  // We send our message id as biz_opaque_callback_data: a status can thus name the message whose
  // send outcome we lost in a crash (state `uncertain`, no wamid yet).
  if (e.bizOpaqueCallbackData) {
    await db
      .updateTable('messages')
      .set({ wamid: e.wamid, updated_at: nowIso() })
      .where('id', '=', e.bizOpaqueCallbackData)
      .where('wamid', 'is', null)
      .where('direction', '=', 'outbound')
      .execute()
  }
  await applyStoredStatuses(db, e.wamid)
}
