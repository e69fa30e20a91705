import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { AppError, notFound } from '../../platform/errors.js'
import { STAFF } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import type { RealtimeHub } from '../../platform/realtime/hub.js'
import type { ContactDetails } from '../contacts/contact-details.js'
import { activeStaff } from '../auth/users.repo.js'
import { findConversation } from '../inbox/conversations.repo.js'
import { insertNote, listNotes, listNotifications, markNotificationsRead } from './notes.repo.js'

const idParams = z.object({ id: z.string().min(1).max(100) })
const noteBody = z.object({
  body: z.string().trim().min(1).max(4096),
  mentions: z.array(z.string().min(1).max(100)).max(20).default([]),
})
const noteSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  author: z.object({ id: z.string(), name: z.string() }),
  body: z.string(),
  mentions: z.array(z.string()),
  createdAt: z.string(),
})
const notificationSchema = z.object({
  id: z.string(),
  /** mention: named in a colleague's note; reminder: a waiting conversation opened again at its set time; assigned: given to me (actorName null: automatically). */
  kind: z.enum(['mention', 'reminder', 'assigned', 'reply_overdue']),
  conversationId: z.string(),
  /** Whom the conversation is with (their shown name or number); null once erased. */
  contactName: z.string().nullable(),
  noteId: z.string().nullable(),
  /** Who wrote the note, set the reminder or assigned the conversation. */
  actorName: z.string().nullable(),
  excerpt: z.string().nullable(),
  createdAt: z.string(),
  readAt: z.string().nullable(),
})

type NoteWithAuthor = Awaited<ReturnType<typeof listNotes>>[number]
const presentNote = (n: NoteWithAuthor) => ({
  id: n.id,
  conversationId: n.conversation_id,
  author: { id: n.author_id, name: n.author_name },
  body: n.body,
  mentions: JSON.parse(n.mentions) as string[],
  createdAt: n.created_at,
})

/**
 * Private notes inside a conversation (never sent to WhatsApp), @mentions that notify colleagues,
 * and the "is writing a note" signal. Notes are for the team: only staff read or write them.
 */
export const noteRoutes: FastifyPluginAsync<{ db: Db; hub: RealtimeHub; details: ContactDetails }> = async (base, { db, hub, details }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['notes']
  const access = STAFF

  async function conversationOr404(id: string) {
    const c = await findConversation(db, id)
    if (!c) throw notFound('Conversation')
    return c
  }

  app.get('/api/conversations/:id/notes', { config: { access }, schema: { tags, params: idParams, response: { 200: listOf(noteSchema) } } }, async (request) => {
    const conversation = await conversationOr404(request.params.id)
    return { items: (await listNotes(db, details, conversation)).map(presentNote), nextCursor: null }
  })

  app.post('/api/conversations/:id/notes', { config: { access }, bodyLimit: 64 * 1024, schema: { tags, params: idParams, body: noteBody, response: { 201: noteSchema } } }, async (request, reply) => {
    const conversation = await conversationOr404(request.params.id)
    const author = request.auth?.user
    if (!author) throw new AppError('notes.person_required', 422, 'Notes are written by a signed-in person, not by an API token.')
    const mentions = [...new Set(request.body.mentions)]
    if (mentions.length) {
      if ((await activeStaff(db, mentions)).length !== mentions.length) throw new AppError('notes.unknown_mention', 400, 'Only active colleagues can be mentioned.', { details: { field: 'mentions' } })
    }
    const note = await db.transaction().execute((trx) => insertNote(trx, details, { conversationId: conversation.id, contactId: conversation.contact_id, authorId: author.id, body: request.body.body, mentions }))
    hub.conversationsChanged([conversation.id])
    for (const userId of mentions) if (userId !== author.id) hub.publish({ type: 'notification', userId, conversationId: conversation.id })
    return reply.code(201).send(presentNote({ ...note, author_name: author.name }))
  })

  app.post('/api/conversations/:id/typing', { config: { access }, schema: { tags, params: idParams, response: { 204: z.null() } } }, async (request, reply) => {
    await conversationOr404(request.params.id)
    const user = request.auth?.user
    if (user) hub.publish({ type: 'note.typing', conversationId: request.params.id, userId: user.id, name: user.name })
    return reply.code(204).send(null)
  })

  app.get('/api/notifications', { config: { access }, schema: { tags, response: { 200: listOf(notificationSchema) } } }, async (request) => {
    const userId = request.auth?.user?.id
    const rows = userId ? await listNotifications(db, details, userId, 50) : []
    return {
      items: rows.map((n) => ({
        id: n.id,
        kind: n.kind,
        conversationId: n.conversation_id,
        contactName: n.contact_shown,
        noteId: n.note_id,
        actorName: n.actor_name,
        excerpt: n.note_body ? n.note_body.slice(0, 140) : null,
        createdAt: n.created_at,
        readAt: n.read_at,
      })),
      nextCursor: null,
    }
  })

  app.post('/api/notifications/read', { config: { access }, schema: { tags, body: z.object({ ids: z.array(z.string().max(100)).max(200).optional() }), response: { 204: z.null() } } }, async (request, reply) => {
    const userId = request.auth?.user?.id
    if (userId) await markNotificationsRead(db, userId, request.body.ids)
    return reply.code(204).send(null)
  })
}
