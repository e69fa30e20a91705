import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db, Executor } from '../../db/database.js'
import type { ConversationRow } from '../../db/schema.js'
import type { MessageVault } from './message-vault.js'
import { AppError, conflict, notFound } from '../../platform/errors.js'
import { type Auth, STAFF } from '../../platform/http/access.js'
import { readSignWithName, signedText, TEXT_LIMIT } from '../outbound/agent-signature.js'
import { decodeCursor, listOf, pageQuery, toPage } from '../../platform/http/cursor.js'
import { outboundMessage, startConversationBody } from '../outbound/outbound.schemas.js'
import { queueMessage, resendUncertain, startConversation, windowExpiresAt } from '../outbound/send.service.js'
import type { ConsentService } from '../consent/consent.service.js'
import { sendNoticeFirst } from '../consent/privacy-notice.js'
import { GraphApiError, type GraphClient } from '../whatsapp/graph-client.js'
import type { TemplateCatalog } from '../whatsapp/template-catalog.js'
import { presentConversations } from './conversation-view.js'
import { ReplyClock } from '../reply-targets/reply-clock.js'
import { narrowedTo } from '../privacy/team-access.js'
import { countOpen, findConversation, findConversations, findConversationWithContact, listConversations, markConversationRead, markConversationUnread } from './conversations.repo.js'
import { findLastInbound, findMessage, listMessages } from './messages.repo.js'
import { applyChange, checkChange } from './conversation-changes.js'
import { ReadAudit } from '../privacy/audit.js'
import { hasOptOut } from '../consent/template-opt-out.js'
import { hasObjectionNotice } from '../consent/existing-customer.js'
import { conversationSchema, messageSchema, presentMessage, presentWithMedia } from './presenters.js'

export type InboxRoutesOptions = {
  db: Db
  graph: GraphClient
  /** The number new conversations start on (read per request: credentials can change). */
  defaultChannel: { readonly phoneNumberId: string }
  consent: ConsentService
  templates: TemplateCatalog
  vault: MessageVault
  /** After a committed change to a conversation; `queued` when a message awaits sending. */
  onChanged: (conversationId: string, queued?: boolean) => void
  /** A colleague was given a conversation by someone else (a notification is stored for them). */
  onNotified: (userId: string, conversationId: string) => void
  /** The clock reply targets go by (tests set exact instants). */
  now: () => number
}

const idParams = z.object({ id: z.string().min(1).max(100) })
const conversationQuery = pageQuery.extend({
  status: z.enum(['open', 'pending', 'resolved']).optional(),
  assignee: z.string().max(100).optional().describe("a user id, 'me' or 'none'"),
  label: z.string().max(100).optional().describe('a label id'),
  channel: z.string().max(40).optional().describe('a phone number id'),
  order: z.enum(['newest', 'waiting']).default('newest').describe("newest: latest activity first; waiting: only conversations whose customer waits for a colleague's answer, longest waiting first"),
  overdue: z.enum(['true', 'false']).optional().describe('true: only open conversations whose customer has waited longer than the reply target'),
})
const conversationPatch = z
  .object({
    status: z.enum(['open', 'pending', 'resolved']),
    assigneeId: z.string().max(100).nullable(),
    pendingUntil: z.iso.datetime({ offset: true }).nullable().describe('a reminder: the waiting conversation opens again at this time (implies status pending; null clears it)'),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'at least one field')
const bulkChange = z
  .object({
    ids: z.array(z.string().min(1).max(100)).min(1).max(200),
    status: z.enum(['open', 'pending', 'resolved']).optional(),
    assigneeId: z.string().max(100).nullable().optional(),
    pendingUntil: z.iso.datetime({ offset: true }).nullable().optional(),
    labelId: z.string().min(1).max(100).optional().describe('a label to add'),
  })
  .refine((b) => Object.keys(b).some((k) => k !== 'ids'), 'at least one change besides ids')

/** Conversations and messages: reading, sending, marking read, assigning. */
export const inboxRoutes: FastifyPluginAsync<InboxRoutesOptions> = async (base, { db, graph, defaultChannel, consent, templates, vault, onChanged, onNotified, now }) => {
  const readAudit = new ReadAudit()
  const app = base.withTypeProvider<ZodTypeProvider>()
  const access = STAFF
  const tags = ['inbox']

  app.get('/api/conversations', { config: { access }, schema: { tags, querystring: conversationQuery, response: { 200: listOf(conversationSchema) } } }, async (request) => {
    const { limit, cursor, status, label, channel, order, overdue } = request.query
    const assignee = request.query.assignee === 'me' ? (request.auth?.user?.id ?? 'none') : request.query.assignee
    const clock = await ReplyClock.load(db)
    const only = overdue === 'true' ? clock.overdue(now()) : undefined
    const rows = await listConversations(db, { status, assignee, labelId: label, channelId: channel, order, only, visibleTo: await narrowedTo(db, request.auth), after: decodeCursor(cursor), limit })
    const page = toPage(rows, limit, (r) => [order === 'waiting' ? r.awaiting_reply_since! : r.last_message_at, r.id])
    return { items: await presentConversations(db, vault, page.items, clock), nextCursor: page.nextCursor }
  })

  // The list's views with their open conversations ("Meine 3"), and those past the reply target, as this caller sees them.
  const counts = z.object({ all: z.number().int(), mine: z.number().int(), unassigned: z.number().int(), overdue: z.number().int() })
  app.get('/api/conversations/counts', { config: { access }, schema: { tags, response: { 200: counts } } }, async (request) =>
    countOpen(db, { me: request.auth?.user?.id ?? null, visibleTo: await narrowedTo(db, request.auth), overdue: (await ReplyClock.load(db)).overdue(now()) }),
  )

  const presentOne = async (id: string) => {
    const c = await findConversationWithContact(db, id)
    return c ? (await presentConversations(db, vault, [c], await ReplyClock.load(db)))[0]! : undefined
  }

  app.get('/api/conversations/:id', { config: { access }, schema: { tags, params: idParams, response: { 200: conversationSchema } } }, async (request) => {
    const c = await presentOne(request.params.id)
    if (!c) throw notFound('Conversation')
    return c
  })

  app.patch('/api/conversations/:id', { config: { access }, schema: { tags, params: idParams, body: conversationPatch, response: { 200: conversationSchema } } }, async (request) => {
    const c = await findConversation(db, request.params.id)
    if (!c) throw notFound('Conversation')
    const change = await checkChange(db, request.body)
    const { notify } = await db.transaction().execute((tx) => applyChange(tx, c, change, request.auth?.user?.id ?? null))
    onChanged(c.id)
    if (notify) onNotified(notify, c.id)
    return (await presentOne(c.id))!
  })

  // Many conversations at once (the list's selection): all of them change, or none.
  app.post('/api/conversations/bulk', { config: { access }, schema: { tags, body: bulkChange, response: { 200: z.object({ updated: z.number().int() }) } } }, async (request) => {
    const { ids, ...asked } = request.body
    const wanted = [...new Set(ids)]
    const agent = await narrowedTo(db, request.auth)
    const found = (await findConversations(db, wanted)).filter((c) => !agent || c.assignee_id === null || c.assignee_id === agent)
    if (found.length < wanted.length) throw notFound(`${wanted.length - found.length} of the ${wanted.length} conversations`)
    const change = await checkChange(db, asked)
    const by = request.auth?.user?.id ?? null
    const notified = await db.transaction().execute(async (tx) => {
      const told: { userId: string; conversationId: string }[] = []
      for (const c of found) {
        const { notify } = await applyChange(tx, c, change, by)
        if (notify) told.push({ userId: notify, conversationId: c.id })
      }
      return told
    })
    for (const c of found) onChanged(c.id)
    for (const n of notified) onNotified(n.userId, n.conversationId)
    return { updated: found.length }
  })

  app.get('/api/conversations/:id/messages', { config: { access }, schema: { tags, params: idParams, querystring: pageQuery, response: { 200: listOf(messageSchema) } } }, async (request) => {
    const conversation = await findConversation(db, request.params.id)
    if (!conversation) throw notFound('Conversation')
    await readAudit.conversationRead(db, request, conversation)
    const { limit, cursor } = request.query
    const rows = await listMessages(db, vault, { conversationId: request.params.id, after: decodeCursor(cursor), limit })
    const page = toPage(rows, limit, (r) => [r.timestamp, r.id])
    return { items: (await presentWithMedia(db, page.items)).map((m) => m.message), nextCursor: page.nextCursor }
  })

  /**
   * The consent purpose a send serves: the one named, or `marketing` for a MARKETING-category
   * template. Unknown to the catalog (Meta unreachable) means unknown category: refused, not guessed.
   */
  type Purpose = { key: string; templateWithoutOptOut: string | null; templateWithoutObjectionNotice: string | null }
  async function purposeOf(message: { type: string; purpose?: string | undefined; template?: { name: string; language: { code: string } } }): Promise<Purpose | null> {
    if (message.type !== 'template' || !message.template) return null
    const template = await templates.find(message.template.name, message.template.language.code).catch((err: unknown) => {
      throw new AppError('templates.unavailable', 503, 'The template catalog could not be read, so its category (and the consent it needs) is unknown.', { cause: err })
    })
    const purpose = message.purpose ?? (template?.category.toUpperCase() === 'MARKETING' ? 'marketing' : null)
    if (purpose && !(await db.selectFrom('consent_purposes').select('key').where('key', '=', purpose).executeTakeFirst())) {
      throw new AppError('consent.unknown_purpose', 400, `There is no consent purpose "${purpose}".`, { details: { field: 'purpose' } })
    }
    if (!purpose) return null
    return { key: purpose, templateWithoutOptOut: template && !hasOptOut(template, consent.keywords) ? template.name : null, templateWithoutObjectionNotice: template && !hasObjectionNotice(template) ? template.name : null }
  }
  /** Consent first (the more fundamental refusal), then the objection notice the template must carry. */
  async function assertMayAdvertise(purpose: Purpose, contact: { id: string | undefined; waId: string | null }) {
    const basis = await consent.assertMayMarket(db, { contactId: contact.id, waId: contact.waId, purpose: purpose.key })
    if (purpose.templateWithoutOptOut) {
      throw conflict('consent.template_without_opt_out', `Template "${purpose.templateWithoutOptOut}" serves ${purpose.key} but does not say how to object (a STOP button or a footer naming a stop keyword).`, { template: purpose.templateWithoutOptOut })
    }
    // § 7(3) UWG: advertising on the existing-customer basis must say, every time, that the customer may object at no cost beyond the basic rates.
    if (basis === 'existing-customer' && purpose.templateWithoutObjectionNotice) {
      throw conflict('consent.objection_notice_missing', `Template "${purpose.templateWithoutObjectionNotice}" would be sent on the existing-customer basis (§ 7(3) UWG), which needs a notice in every message that the customer may object at any time at no cost beyond the basic rates.`, { template: purpose.templateWithoutObjectionNotice, basis })
    }
  }
  const consentGuard = (purpose: Purpose | null) =>
    purpose
      ? async (conversation: { contact_id: string }) => {
          const contact = await vault.details.openRow(db, await db.selectFrom('contacts').select(['id', 'wa_id']).where('id', '=', conversation.contact_id).executeTakeFirst())
          await assertMayAdvertise(purpose, { id: contact?.id, waId: contact?.wa_id ?? null })
        }
      : undefined

  // A colleague's own text starts with their name when the company wants it (not an integration's, which has none).
  async function signIfWanted(message: { type: string; text?: { body: string } }, auth: Auth | undefined) {
    if (message.type !== 'text' || !message.text || auth?.kind !== 'session' || !(await readSignWithName(db))) return
    const body = signedText(message.text.body, auth.user.name)
    if (body.length > TEXT_LIMIT) throw new AppError('outbound.text_too_long', 400, `With the name it is signed with, the text is longer than WhatsApp's ${TEXT_LIMIT} characters.`, { details: { field: 'text.body' } })
    message.text.body = body
  }

  app.post('/api/conversations/:id/messages', { config: { access }, bodyLimit: 256 * 1024, schema: { tags, params: idParams, body: outboundMessage, response: { 202: messageSchema } } }, async (request, reply) => {
    if (!(await findConversation(db, request.params.id))) throw notFound('Conversation')
    await signIfWanted(request.body, request.auth)
    const purpose = await purposeOf(request.body)
    const guard = consentGuard(purpose)
    // An answer in the window goes after the privacy notice (once per contact and version); templates carry their own.
    const precede = request.body.type === 'template' || request.body.type === 'reaction' ? undefined : (tx: Executor, c: ConversationRow) => sendNoticeFirst(tx, vault, c)
    const row = await queueMessage(db, vault, { conversationId: request.params.id, message: request.body, sentBy: request.auth?.user?.id ?? null, purpose: purpose?.key ?? null, ...(guard ? { beforeQueue: guard } : {}), ...(precede ? { precede } : {}) })
    onChanged(row.conversation_id, true)
    return reply.code(202).send((await presentWithMedia(db, [row]))[0]!.message)
  })

  app.post('/api/messages', { config: { access }, bodyLimit: 256 * 1024, schema: { tags, body: startConversationBody, response: { 202: messageSchema } } }, async (request, reply) => {
    const { to, ...message } = request.body
    const purpose = await purposeOf(message)
    const known = await db.selectFrom('contacts').select(['id', 'restricted_at']).where('wa_key', '=', vault.details.lookupKey('wa', to)).executeTakeFirst()
    // Art. 18: a restricted person's data is only stored, not used to write to them.
    if (known?.restricted_at) throw conflict('privacy.restricted', 'This person asked for erasure; their data is kept only for a legal retention duty and may not be used.')
    // A number we have never seen cannot have consented: refused before a contact is created.
    if (purpose) await assertMayAdvertise(purpose, { id: known?.id, waId: to })
    const row = await startConversation(db, vault, { channelId: defaultChannel.phoneNumberId, to, message, sentBy: request.auth?.user?.id ?? null, purpose: purpose?.key ?? null })
    onChanged(row.conversation_id, true)
    return reply.code(202).send(presentMessage(row))
  })

  app.post('/api/messages/:id/resend', { config: { access }, schema: { tags, params: idParams, response: { 202: messageSchema } } }, async (request, reply) => {
    const message = await findMessage(db, vault, request.params.id)
    if (!message) throw notFound('Message')
    await resendUncertain(db, message.id)
    onChanged(message.conversation_id, true)
    return reply.code(202).send(presentMessage((await findMessage(db, vault, request.params.id))!))
  })

  // "Als ungelesen markieren": back on the list as unread, to come back to (nothing goes to WhatsApp).
  app.post('/api/conversations/:id/unread', { config: { access }, schema: { tags, params: idParams, response: { 200: conversationSchema } } }, async (request) => {
    const c = await findConversation(db, request.params.id)
    if (!c) throw notFound('Conversation')
    if (!(await markConversationUnread(db, c.id))) throw conflict('inbox.nothing_unread', 'The customer has not written in this conversation: there is nothing to mark unread.')
    onChanged(c.id)
    return (await presentOne(c.id))!
  })

  const readBody = z.object({ typing: z.boolean().default(false).describe('also show the customer that we are typing (only while the 24-hour window is open)') }).nullish()
  const readAnswer = z.object({ wamid: z.string().nullable(), typing: z.boolean() })
  app.post('/api/conversations/:id/read', { config: { access }, schema: { tags, params: idParams, body: readBody, response: { 200: readAnswer } } }, async (request) => {
    const c = await findConversation(db, request.params.id)
    if (!c) throw notFound('Conversation')
    const last = await findLastInbound(db, c.id)
    if (!last) return { wamid: null, typing: false }
    // Our own unread count first: it must clear even when Meta is unreachable.
    await markConversationRead(db, c.id)
    onChanged(c.id)
    // "Typing" promises an answer: only where one may still be sent freely.
    const typing = (request.body?.typing ?? false) && windowExpiresAt(c.last_inbound_at) !== null
    if (last.wamid) {
      try {
        await graph.markRead(c.channel_id, last.wamid, { typing })
      } catch (err) {
        // An upstream refusal is not our fault (500): the agent's side is done, the receipt is not.
        const whatsapp = err instanceof GraphApiError ? { code: err.code ?? null, detail: err.details ?? err.message } : { code: null, detail: (err as Error).message }
        throw new AppError('inbox.read_receipt_failed', 502, `Marked read in Postfach, but WhatsApp did not take the read receipt: ${whatsapp.detail}`, { cause: err, details: { whatsapp } })
      }
    }
    return { wamid: last.wamid, typing: typing && last.wamid !== null }
  })
}
