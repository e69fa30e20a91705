import type { Executor } from '../../db/database.js'
import { newId } from '../../platform/ids.js'
import { enqueueJobs } from '../../platform/jobs/jobs.repo.js'
import { nowIso } from '../../platform/time.js'
import { collectChunks } from '../../platform/chunks.js'
import { insertRows } from '../../db/insert-rows.js'
import { ContactResolver } from '../contacts/contact-resolver.js'
import { applyNumberChange } from '../contacts/contacts.repo.js'
import { upsertConversations } from '../inbox/conversations.repo.js'
import type { MessageVault, StoredMessage } from '../inbox/message-vault.js'
import { applyStoredStatuses } from '../inbox/message-status.js'
import { KNOWN_MESSAGE_TYPES, MEDIA_TYPES, type InboundMessageEvent, type StatusEvent, type WebhookEvent } from './webhook-events.js'

export const MEDIA_DOWNLOAD_JOB = 'media.download'

/** The events of one journal entry. */
export type JournaledEvents = { journalSeq: number; events: WebhookEvent[] }

/** A customer message stored for the first time by this group (redeliveries are not in it). */
export type NewInboundMessage = { messageId: string; wamid: string; conversationId: string; channelId: string; contactId: string; waId: string | null; type: string; raw: Record<string, unknown>; journalSeq: number; timestamp: string }

/**
 * Applies the events of a group of journal entries to contacts, conversations, messages and
 * statuses, in the caller's transaction, with a fixed number of statements per group rather than
 * per webhook (what makes group commit pay on PostgreSQL). Idempotent: re-applying an entry
 * changes nothing (unique wamid, unique (wamid, status)), so projections can be rebuilt from the
 * journal. Returns the phone number ids that are not ours, per journal entry, and the
 * conversations that changed.
 */
export async function projectWebhooks(
  db: Executor,
  entries: JournaledEvents[],
  isOurNumber: (phoneNumberId: string | undefined) => boolean,
  vault: MessageVault,
): Promise<{ unrouted: Map<number, string[]>; conversationIds: Set<string>; mediaQueued: number; added: NewInboundMessage[] }> {
  const unrouted = new Map<number, string[]>()
  const messages: { seq: number; e: InboundMessageEvent }[] = []
  const statuses: { seq: number; e: StatusEvent }[] = []
  for (const { journalSeq, events } of entries) {
    for (const e of events) {
      if (e.kind === 'other') continue
      if (!isOurNumber(e.phoneNumberId)) {
        unrouted.set(journalSeq, [...new Set([...(unrouted.get(journalSeq) ?? []), e.phoneNumberId ?? '(none)'])])
      } else if (e.kind === 'message') messages.push({ seq: journalSeq, e })
      else statuses.push({ seq: journalSeq, e })
    }
  }
  await recordUnrouted(db, unrouted)
  const inbound = await projectMessages(db, vault, messages)
  const conversationIds = new Set([...inbound.conversationIds, ...(await projectStatuses(db, statuses))])
  return { unrouted, conversationIds, mediaQueued: inbound.mediaQueued, added: inbound.added }
}

async function recordUnrouted(db: Executor, unrouted: Map<number, string[]>) {
  if (unrouted.size === 0) return
  const now = nowIso()
  await db
    .insertInto('unrouted_events')
    .values([...unrouted].map(([seq, ids]) => ({ journal_seq: seq, phone_number_id: ids.join(','), reason: 'phone number id not configured', created_at: now })))
    .onConflict((oc) => oc.column('journal_seq').doNothing())
    .execute()
}

async function projectMessages(db: Executor, vault: MessageVault, items: { seq: number; e: InboundMessageEvent }[]): Promise<{ conversationIds: string[]; mediaQueued: number; added: NewInboundMessage[] }> {
  if (items.length === 0) return { conversationIds: [], mediaQueued: 0, added: [] }
  const contacts = await ContactResolver.load(db, vault.details, items.map((i) => i.e.contact))
  const resolved = items.map((i) => ({ ...i, contact: contacts.resolve(i.e.contact, i.e.timestamp) }))
  await contacts.flush(db)
  const conversations = await upsertConversations(
    db,
    resolved.map((r) => ({ contactId: r.contact.id, channelId: r.e.phoneNumberId!, lastAt: r.e.timestamp, inboundAt: r.e.timestamp, awaitingFrom: r.e.type === 'reaction' ? null : r.e.timestamp })),
  )

  const now = nowIso()
  const rows = new Map<string, StoredMessage>() // by wamid: a group may hold a duplicate
  for (const { seq, e, contact } of resolved) {
    if (rows.has(e.wamid)) continue
    const context = e.raw.context as { id?: unknown } | undefined
    rows.set(e.wamid, {
      id: newId(),
      conversation_id: conversations.get(`${contact.id}|${e.phoneNumberId}`)!,
      wamid: e.wamid,
      direction: 'inbound',
      type: KNOWN_MESSAGE_TYPES.has(e.type) ? e.type : 'unsupported',
      status: 'received',
      timestamp: e.timestamp,
      content: JSON.stringify(e.raw),
      key_id: null,
      context_wamid: typeof context?.id === 'string' ? context.id : null,
      error_code: null,
      error_title: null,
      error_detail: null,
      sent_by: null,
      journal_seq: seq,
      created_at: now,
      updated_at: now,
    })
  }
  const contactOf = new Map(resolved.map((r) => [r.e.wamid, r.contact.id]))
  const inserted = await vault.insert(db, [...rows.values()].map((row) => ({ row, contactId: contactOf.get(row.wamid!)! })))
  const fresh = new Set([...rows.values()].filter((r) => inserted.has(r.id)).map((r) => r.wamid))
  const added = resolved.filter((r) => fresh.has(r.e.wamid) && rows.get(r.e.wamid))
  const mediaQueued = await registerInboundMedia(db, added.map((r) => ({ messageId: rows.get(r.e.wamid)!.id, type: rows.get(r.e.wamid)!.type, raw: r.e.raw })))
  for (const r of added) {
    if (r.e.type !== 'system') continue
    const system = r.e.raw.system as { type?: string; wa_id?: string; user_id?: string } | undefined
    if (system?.type === 'user_changed_number' || system?.type === 'user_changed_user_id') {
      await applyNumberChange(db, vault.details, r.contact.id, { newWaId: system.wa_id, newUserId: system.user_id })
    }
  }
  const newMessages = added.map((r) => {
    const row = rows.get(r.e.wamid)!
    return { messageId: row.id, wamid: r.e.wamid, conversationId: row.conversation_id, channelId: r.e.phoneNumberId!, contactId: r.contact.id, waId: r.contact.wa_id ?? r.e.contact.waId ?? null, type: r.e.type, raw: r.e.raw, journalSeq: r.seq, timestamp: r.e.timestamp }
  })
  return { conversationIds: [...conversations.values()], mediaQueued, added: newMessages }
}

/** Records Meta's media ids and queues their download into our own store; returns how many. */
async function registerInboundMedia(db: Executor, items: { messageId: string; type: string; raw: Record<string, unknown> }[]): Promise<number> {
  const now = nowIso()
  const media = items.flatMap(({ messageId, type, raw }) => {
    const m = raw[type] as Record<string, unknown> | undefined
    if (!MEDIA_TYPES.has(type) || !m || typeof m.id !== 'string') return []
    return [
      {
        id: messageId, // one media per message: the message id names it
        direction: 'inbound' as const,
        state: 'pending' as const,
        mime_type: typeof m.mime_type === 'string' ? m.mime_type : 'application/octet-stream',
        size: null,
        sha256: null,
        expected_sha256: typeof m.sha256 === 'string' ? m.sha256 : null,
        graph_media_id: m.id,
        graph_uploaded_at: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      },
    ]
  })
  if (media.length === 0) return 0
  await insertRows(db, 'media', media)
  await enqueueJobs(db, media.map((m) => ({ kind: MEDIA_DOWNLOAD_JOB, payload: { mediaId: m.id } })))
  return media.length
}

async function projectStatuses(db: Executor, items: { seq: number; e: StatusEvent }[]): Promise<string[]> {
  if (items.length === 0) return []
  const rows = new Map<string, { wamid: string; status: string; occurred_at: string; errors: string | null; pricing: string | null; biz_opaque_callback_data: string | null; journal_seq: number }>()
  for (const { seq, e } of items) {
    const key = `${e.wamid}|${e.status}`
    if (rows.has(key)) continue
    rows.set(key, {
      wamid: e.wamid,
      status: e.status,
      occurred_at: e.timestamp,
      errors: e.errors ? JSON.stringify(e.errors) : null,
      pricing: e.pricing === undefined ? null : JSON.stringify(e.pricing),
      biz_opaque_callback_data: e.bizOpaqueCallbackData ?? null,
      journal_seq: seq,
    })
  }
  await insertRows(db, 'message_statuses', [...rows.values()], 'on conflict ("wamid", "status") do nothing')
  await linkUncertainSends(db, items.map((i) => i.e))
  return applyStoredStatuses(db, items.map((i) => i.e.wamid))
}

/**
 * We send our message id as biz_opaque_callback_data: a status can thus name the message whose
 * send outcome we lost in a crash (state `uncertain`, no wamid yet).
 */
async function linkUncertainSends(db: Executor, events: StatusEvent[]) {
  const byMessage = new Map(events.filter((e) => e.bizOpaqueCallbackData).map((e) => [e.bizOpaqueCallbackData!, e.wamid]))
  if (byMessage.size === 0) return
  const unlinked = await collectChunks([...byMessage.keys()], (ids) => db.selectFrom('messages').select('id').where('id', 'in', ids).where('wamid', 'is', null).where('direction', '=', 'outbound').execute())
  for (const { id } of unlinked) {
    await db.updateTable('messages').set({ wamid: byMessage.get(id)!, updated_at: nowIso() }).where('id', '=', id).where('wamid', 'is', null).execute()
  }
}
