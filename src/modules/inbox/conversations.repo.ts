import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely'
import type { Executor } from '../../db/database.js'
import type { ConversationRow, ConversationStatus, Database } from '../../db/schema.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import { insertRows } from '../../db/insert-rows.js'

/**
 * Records activity on the conversation between a contact and one of our numbers, creating it on
 * first contact. An inbound message reopens a resolved or waiting conversation and refreshes the 24-hour
 * customer-service window; our own sends never extend that window.
 */
export async function touchConversation(
  db: Executor,
  c: { contactId: string; channelId: string; at: string; inbound: boolean; answered?: boolean },
): Promise<ConversationRow> {
  const now = nowIso()
  // One statement, safe under concurrency: the times only move forward (CASE instead of a
  // read-modify-write that two transactions could interleave).
  return db
    .insertInto('conversations')
    .values({
      id: newId(),
      contact_id: c.contactId,
      channel_id: c.channelId,
      status: 'open',
      assignee_id: null,
      last_message_at: c.at,
      last_inbound_at: c.inbound ? c.at : null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['contact_id', 'channel_id']).doUpdateSet((eb) => ({
        last_message_at: sql<string>`case when ${eb.ref('conversations.last_message_at')} < ${c.at} then ${c.at} else ${eb.ref('conversations.last_message_at')} end`,
        ...(c.inbound
          ? {
              last_inbound_at: sql<string>`case when ${eb.ref('conversations.last_inbound_at')} is null or ${eb.ref('conversations.last_inbound_at')} < ${c.at} then ${c.at} else ${eb.ref('conversations.last_inbound_at')} end`,
              status: sql<ConversationStatus>`case when ${eb.ref('conversations.status')} in ('resolved', 'pending') then 'open' else ${eb.ref('conversations.status')} end`,
              pending_until: null,
            }
          : {}),
        // A colleague's answer ends the customer's wait (reply targets).
        // In whole seconds, as Meta stamps the customer's messages: one written in the same second comes after it.
        ...(c.answered ? { awaiting_reply_since: null, last_reply_at: `${c.at.slice(0, 19)}.000Z` } : {}),
        updated_at: now,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow()
}

/**
 * Times only move forward; the customer writing reopens a resolved conversation and one that waited
 * for them (its reminder, if any, is then void: the job that would fire it finds no reminder), and
 * starts a wait for an answer unless one runs or a colleague answered after it (a redelivered or
 * late message).
 */
const UPSERT_ACTIVITY = `on conflict ("contact_id", "channel_id") do update set
  "last_message_at" = case when "conversations"."last_message_at" < excluded."last_message_at" then excluded."last_message_at" else "conversations"."last_message_at" end,
  "last_inbound_at" = case when excluded."last_inbound_at" is not null and ("conversations"."last_inbound_at" is null or "conversations"."last_inbound_at" < excluded."last_inbound_at") then excluded."last_inbound_at" else "conversations"."last_inbound_at" end,
  "status" = case when excluded."last_inbound_at" is not null and "conversations"."status" in ('resolved', 'pending') then 'open' else "conversations"."status" end,
  "pending_until" = case when excluded."last_inbound_at" is not null then null else "conversations"."pending_until" end,
  "awaiting_reply_since" = case when excluded."awaiting_reply_since" >= coalesce("conversations"."last_reply_at", '') and ("conversations"."awaiting_reply_since" is null or "conversations"."awaiting_reply_since" > excluded."awaiting_reply_since") then excluded."awaiting_reply_since" else "conversations"."awaiting_reply_since" end,
  "updated_at" = excluded."updated_at"
returning "id", "contact_id", "channel_id"`

/** `awaitingFrom`: the earliest customer message that asks for an answer (not a reaction). */
export type ConversationActivity = { contactId: string; channelId: string; lastAt: string; inboundAt: string | null; awaitingFrom: string | null }

/**
 * Records activity on many conversations in one statement (the ingest path): creates missing
 * ones, moves times only forward, and reopens a resolved or waiting conversation on inbound activity.
 * Returns the conversation id per `contactId|channelId`.
 */
export async function upsertConversations(db: Executor, activity: ConversationActivity[]): Promise<Map<string, string>> {
  const merged = new Map<string, ConversationActivity>()
  for (const a of activity) {
    const key = `${a.contactId}|${a.channelId}`
    const m = merged.get(key)
    if (!m) merged.set(key, { ...a })
    else {
      if (a.lastAt > m.lastAt) m.lastAt = a.lastAt
      if (a.inboundAt && (!m.inboundAt || a.inboundAt > m.inboundAt)) m.inboundAt = a.inboundAt
      if (a.awaitingFrom && (!m.awaitingFrom || a.awaitingFrom < m.awaitingFrom)) m.awaitingFrom = a.awaitingFrom
    }
  }
  if (merged.size === 0) return new Map()
  const now = nowIso()
  const rows = await insertRows<'conversations', { id: string; contact_id: string; channel_id: string }>(
    db,
    'conversations',
    [...merged.values()].map((a) => ({ id: newId(), contact_id: a.contactId, channel_id: a.channelId, status: 'open' as const, assignee_id: null, last_message_at: a.lastAt, last_inbound_at: a.inboundAt, awaiting_reply_since: a.awaitingFrom, created_at: now, updated_at: now })),
    UPSERT_ACTIVITY,
  )
  return new Map(rows.map((r) => [`${r.contact_id}|${r.channel_id}`, r.id]))
}

/** Not a restricted person's conversation (Art. 18: their data is only stored, the team no longer sees it). */
export const ofUnrestrictedContact = ({ not, exists, selectFrom }: ExpressionBuilder<Database, 'conversations'>) =>
  not(exists(selectFrom('contacts').select('contacts.id').whereRef('contacts.id', '=', 'conversations.contact_id').where('contacts.restricted_at', 'is not', null)))

/** A conversation the team may work with: none of a restricted person (Art. 18: their data is only stored). */
export const findConversation = (db: Executor, id: string) =>
  db
    .selectFrom('conversations')
    .selectAll()
    .where('id', '=', id)
    .where(ofUnrestrictedContact)
    .executeTakeFirst()

/** Several conversations the team may work with (as `findConversation`), in no particular order. */
export const findConversations = (db: Executor, ids: string[]) =>
  db
    .selectFrom('conversations')
    .select(['id', 'status', 'assignee_id'])
    .where('id', 'in', ids)
    .where(ofUnrestrictedContact)
    .execute()

/** A condition on conversations (the reply clock's "overdue now"). */
export type ConversationCondition = (eb: ExpressionBuilder<Database, 'conversations'>) => Expression<SqlBool>

/** Open conversations per view of the list (all, mine, unassigned, past the reply target), as the caller may see them. */
export async function countOpen(
  db: Executor,
  o: { me: string | null; visibleTo: string | undefined; overdue: ConversationCondition },
): Promise<{ all: number; mine: number; unassigned: number; overdue: number }> {
  let q = db
    .selectFrom('conversations')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('all'),
      eb.fn.sum<number | string | null>(eb.case().when('assignee_id', '=', o.me ?? '').then(1).else(0).end()).as('mine'),
      eb.fn.sum<number | string | null>(eb.case().when('assignee_id', 'is', null).then(1).else(0).end()).as('unassigned'),
      eb.fn.sum<number | string | null>(eb.case().when(o.overdue(eb)).then(1).else(0).end()).as('overdue'),
    ])
    .where('status', '=', 'open')
    .where(ofUnrestrictedContact)
  if (o.visibleTo) {
    const agent = o.visibleTo
    q = q.where((eb) => eb.or([eb('assignee_id', 'is', null), eb('assignee_id', '=', agent)]))
  }
  const row = await q.executeTakeFirstOrThrow()
  return { all: Number(row.all), mine: Number(row.mine ?? 0), unassigned: Number(row.unassigned ?? 0), overdue: Number(row.overdue ?? 0) }
}

export type ConversationFilter = {
  status?: ConversationStatus | undefined
  /** A user id, or 'none' for unassigned. */
  assignee?: string | undefined
  labelId?: string | undefined
  channelId?: string | undefined
  /** An agent who sees only their own and unassigned conversations (GDPR-25). */
  visibleTo?: string | undefined
  /** newest: latest activity first (default); waiting: only those whose customer waits for a colleague's answer, longest waiting first. */
  order?: 'newest' | 'waiting' | undefined
  /** Only these (the reply clock's overdue conversations). */
  only?: ConversationCondition | undefined
  /** Cursor: the (last_message_at, id) of the last row of the previous page; (awaiting_reply_since, id) when waiting. */
  after?: { at: string; id: string } | undefined
  limit: number
}

/**
 * Conversations with their contact, their newest message's id and the count of inbound messages
 * after what the team has read. Both subqueries are index seeks on (conversation_id, timestamp).
 */
function conversationsWithContact(db: Executor) {
  return db
    .selectFrom('conversations')
    .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .where('contacts.restricted_at', 'is', null) // restricted people are hidden from the team (Art. 18)
    .selectAll('conversations')
    // Names and identifiers sealed at rest; the presenter opens them (a rectified name, GDPR-16, wins).
    .select(['contacts.wa_id', 'contacts.user_id', 'contacts.first_contact_at', 'contacts.last_contact_at', 'contacts.profile_name', 'contacts.name_override'])
    .select((eb) => [
      eb
        .selectFrom('messages')
        .select('messages.id')
        .whereRef('messages.conversation_id', '=', 'conversations.id')
        .orderBy('messages.timestamp', 'desc')
        .orderBy('messages.id', 'desc')
        .limit(1)
        .as('last_message_id'),
      eb
        .selectFrom('messages')
        .select((e) => e.fn.countAll<number | string>().as('n'))
        .whereRef('messages.conversation_id', '=', 'conversations.id')
        .where('messages.direction', '=', 'inbound')
        .where((e) => e.or([e('conversations.read_up_to', 'is', null), e('messages.created_at', '>', e.ref('conversations.read_up_to'))]))
        .as('unread_count'),
    ])
}

/** Conversations with their contact, newest activity first, paged by keyset. */
export function listConversations(db: Executor, f: ConversationFilter) {
  let q = conversationsWithContact(db)
  if (f.status) q = q.where('conversations.status', '=', f.status)
  if (f.assignee === 'none') q = q.where('conversations.assignee_id', 'is', null)
  else if (f.assignee) q = q.where('conversations.assignee_id', '=', f.assignee)
  if (f.channelId) q = q.where('conversations.channel_id', '=', f.channelId)
  if (f.visibleTo) {
    const agent = f.visibleTo
    q = q.where((eb) => eb.or([eb('conversations.assignee_id', 'is', null), eb('conversations.assignee_id', '=', agent)]))
  }
  if (f.labelId) {
    const labelId = f.labelId
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('conversation_labels')
          .select('conversation_labels.label_id')
          .whereRef('conversation_labels.conversation_id', '=', 'conversations.id')
          .where('conversation_labels.label_id', '=', labelId),
      ),
    )
  }
  if (f.only) q = q.where(f.only)
  // Waiting: the customer waits for a colleague's answer (an automatic one does not count), longest first.
  const waiting = f.order === 'waiting'
  const key = waiting ? 'conversations.awaiting_reply_since' : 'conversations.last_message_at'
  if (waiting) q = q.where('conversations.awaiting_reply_since', 'is not', null)
  if (f.after) {
    const { at, id } = f.after
    const beyond = waiting ? '>' : '<'
    q = q.where((eb) => eb.or([eb(key, beyond, at), eb.and([eb(key, '=', at), eb('conversations.id', beyond, id)])]))
  }
  const direction = waiting ? 'asc' : 'desc'
  return q.orderBy(key, direction).orderBy('conversations.id', direction).limit(f.limit + 1).execute()
}

export type ConversationWithContact = Awaited<ReturnType<typeof listConversations>>[number]

export const findConversationWithContact = (db: Executor, id: string) =>
  conversationsWithContact(db).where('conversations.id', '=', id).executeTakeFirst()

/**
 * Marks the customer's newest message unread again (for the team; WhatsApp's blue ticks cannot be
 * taken back): the watermark moves to just before it. False when the customer never wrote.
 */
export async function markConversationUnread(db: Executor, id: string): Promise<boolean> {
  const inbound = (q: typeof db) => q.selectFrom('messages').select((eb) => eb.fn.max('created_at').as('at')).where('conversation_id', '=', id).where('direction', '=', 'inbound')
  const newest = (await inbound(db).executeTakeFirst())?.at
  if (!newest) return false
  const before = (await inbound(db).where('created_at', '<', newest).executeTakeFirst())?.at ?? null
  await db.updateTable('conversations').set({ read_up_to: before }).where('id', '=', id).execute()
  return true
}

/**
 * Marks every inbound message stored so far as read by the team. The watermark is our own
 * insertion time (milliseconds), not WhatsApp's timestamp (seconds), so that a message arriving
 * in the same second as the last read one still counts as unread.
 */
export async function markConversationRead(db: Executor, id: string): Promise<void> {
  const last = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('conversation_id', '=', id)
    .where('direction', '=', 'inbound')
    .executeTakeFirst()
  const upTo = last?.at
  if (!upTo) return
  await db
    .updateTable('conversations')
    .set({ read_up_to: upTo })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('read_up_to', 'is', null), eb('read_up_to', '<', upTo)]))
    .execute()
}
