import { z } from 'zod'
import type { Executor } from '../../db/database.js'
import type { MediaRow, MessageRow } from '../../db/schema.js'
import { windowExpiresAt } from '../outbound/send.service.js'
import { mayResendFailure } from '../whatsapp/graph-errors.js'
import { MEDIA_TYPES } from '../whatsapp/webhook-events.js'
import type { ConversationWithContact } from './conversations.repo.js'
import { messageText } from './message-text.js'

export const contactSchema = z.object({
  id: z.string(),
  waId: z.string().nullable(),
  userId: z.string().nullable(),
  name: z.string().nullable(),
  firstContactAt: z.string(),
  lastContactAt: z.string(),
})

export const previewSchema = z.object({
  type: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  status: z.string(),
  text: z.string().nullable(),
})

export const conversationSchema = z.object({
  id: z.string(),
  status: z.enum(['open', 'pending', 'resolved']),
  /** A waiting conversation's reminder: it opens again at this time unless the customer writes first. */
  pendingUntil: z.string().nullable(),
  assigneeId: z.string().nullable(),
  channelId: z.string(),
  lastMessageAt: z.string(),
  lastInboundAt: z.string().nullable(),
  /** The customer's first message since a colleague last answered (null: nobody waits for an answer). */
  awaitingReplySince: z.string().nullable(),
  /** When the answer is due by the reply target (null: no target, or nobody waits). Past it, the conversation is overdue. */
  replyDueAt: z.string().nullable(),
  windowExpiresAt: z.string().nullable(),
  unreadCount: z.number().int(),
  labelIds: z.array(z.string()),
  lastMessage: previewSchema.nullable(),
  contact: contactSchema,
})

export const messageSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    wamid: z.string().nullable(),
    direction: z.enum(['inbound', 'outbound']),
    type: z.string(),
    status: z.enum(['received', 'queued', 'sent', 'delivered', 'read', 'failed', 'uncertain']),
    timestamp: z.string(),
    error: z.object({ code: z.number().nullable(), title: z.string(), detail: z.string().nullable() }).nullable(),
    context: z.object({ replyTo: z.string().nullable(), forwarded: z.boolean(), frequentlyForwarded: z.boolean() }),
    sentBy: z.string().nullable(),
    /** An agent may send it again on purpose (uncertain, or failed for a reason sending again can fix). */
    canResend: z.boolean(),
  })
  .catchall(z.unknown())

export type MessagePreview = z.infer<typeof previewSchema>

export const presentConversation = (c: ConversationWithContact, extra: { labelIds: string[]; lastMessage: MessagePreview | null; replyDueAt: string | null }) => ({
  id: c.id,
  status: c.status,
  pendingUntil: c.pending_until,
  assigneeId: c.assignee_id,
  channelId: c.channel_id,
  lastMessageAt: c.last_message_at,
  lastInboundAt: c.last_inbound_at,
  awaitingReplySince: c.status === 'open' ? c.awaiting_reply_since : null,
  replyDueAt: extra.replyDueAt,
  windowExpiresAt: windowExpiresAt(c.last_inbound_at),
  unreadCount: Number(c.unread_count ?? 0),
  labelIds: extra.labelIds,
  lastMessage: extra.lastMessage,
  contact: {
    id: c.contact_id,
    waId: c.wa_id,
    userId: c.user_id,
    name: c.profile_name,
    firstContactAt: c.first_contact_at,
    lastContactAt: c.last_contact_at,
  },
})

/** One line for the conversation list: type, direction, ticks and the start of the text. */
export function previewOf(m: Pick<MessageRow, 'type' | 'direction' | 'status' | 'content'>): MessagePreview {
  const text = messageText(m.type, m.content)
  return { type: m.type, direction: m.direction, status: m.status, text: text && text.length > 120 ? `${text.slice(0, 119)}…` : text }
}

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())

/** Cloud API snake_case → our camelCase, deeply; values untouched. */
export function camelKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camelKeys)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [camel(k), camelKeys(x)]))
  return v
}


/**
 * A message as the API shows it: the type's content under the type's name, as the Cloud API names
 * it. Media refer to our copy (`mediaId`, download at `/api/media/:id`) and say whether it is there.
 */
export function presentMessage(m: MessageRow, media?: MediaRow) {
  const raw = JSON.parse(m.content) as Record<string, unknown>
  const key = m.type === 'unsupported' && raw.type !== 'unsupported' ? String(raw.type) : m.type
  let content = camelKeys(raw[key] ?? {}) as Record<string, unknown>
  if (MEDIA_TYPES.has(m.type)) {
    const { id: graphId, url: _url, ...rest } = content as { id?: string; url?: string }
    content = { ...rest, mediaId: media ? media.id : (graphId ?? null), mediaState: media?.state ?? (m.direction === 'outbound' ? 'stored' : 'pending') }
    // The file's name stays in the (sealed) message, not in the media row: it is often personal.
    if (media) Object.assign(content, { mimeType: media.mime_type, size: media.size, filename: content.filename ?? null })
  }
  const context = (raw.context ?? {}) as { forwarded?: boolean; frequently_forwarded?: boolean }
  return {
    id: m.id,
    conversationId: m.conversation_id,
    wamid: m.wamid,
    direction: m.direction,
    type: m.type,
    status: m.status,
    timestamp: m.timestamp,
    error: m.error_title ? { code: m.error_code, title: m.error_title, detail: m.error_detail } : null,
    context: { replyTo: m.context_wamid, forwarded: context.forwarded === true, frequentlyForwarded: context.frequently_forwarded === true },
    sentBy: m.sent_by,
    canResend: m.direction === 'outbound' && m.wamid === null && (m.status === 'uncertain' || (m.status === 'failed' && mayResendFailure(m.error_title))),
    [m.type]: content,
    ...(m.type === 'unsupported' ? { unsupported: { type: key === 'unsupported' ? (content.type ?? null) : key, raw: camelKeys(raw) } } : {}),
    ...(raw.referral ? { referral: camelKeys(raw.referral) } : {}),
  }
}

/** Messages as the API shows them, with their media rows (our copies) looked up in chunks. */
export async function presentWithMedia(db: Executor, rows: MessageRow[]) {
  const ids = rows.filter((r) => MEDIA_TYPES.has(r.type)).map((r) => r.id)
  const mediaIds = rows.flatMap((r) => {
    const c = JSON.parse(r.content) as Record<string, { id?: string } | undefined>
    return r.direction === 'outbound' && c[r.type]?.id ? [c[r.type]!.id!] : []
  })
  const all = [...ids, ...mediaIds]
  const media: MediaRow[] = []
  for (let i = 0; i < all.length; i += 1000) media.push(...(await db.selectFrom('media').selectAll().where('id', 'in', all.slice(i, i + 1000)).execute()))
  const byId = new Map(media.map((m) => [m.id, m]))
  return rows.map((r) => {
    const c = JSON.parse(r.content) as Record<string, { id?: string } | undefined>
    return { message: presentMessage(r, byId.get(r.direction === 'inbound' ? r.id : (c[r.type]?.id ?? ''))), media: byId.get(r.direction === 'inbound' ? r.id : (c[r.type]?.id ?? '')) }
  })
}
