import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import type { LabelRow } from '../../db/schema.js'
import { conflict, notFound } from '../../platform/errors.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import { findConversation } from '../inbox/conversations.repo.js'
import { applyLabel, deleteLabel, findLabel, findLabelByName, insertLabel, listLabels, removeLabel, updateLabel } from './labels.repo.js'

export const labelSchema = z.object({ id: z.string(), name: z.string(), color: z.string() })
const labelBody = z.object({
  name: z.string().trim().min(1).max(40),
  // Colors are stored as #rrggbb so every client renders them the same way.
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a color as #rrggbb'),
})
const idParams = z.object({ id: z.string().min(1).max(100) })
const conversationLabelParams = z.object({ id: z.string().min(1).max(100), labelId: z.string().min(1).max(100) })

const present = (l: LabelRow) => ({ id: l.id, name: l.name, color: l.color })

/** Colored labels: admins manage them, agents apply them to conversations. */
export const labelRoutes: FastifyPluginAsync<{ db: Db; onConversationChanged: (id: string) => void }> = async (base, { db, onConversationChanged }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['labels']

  async function nameIsFree(name: string, exceptId?: string) {
    const other = await findLabelByName(db, name)
    if (other && other.id !== exceptId) throw conflict('labels.name_taken', `A label named “${name}” exists.`)
  }

  app.get('/api/labels', { config: { access: STAFF }, schema: { tags, response: { 200: listOf(labelSchema) } } }, async () => ({
    items: (await listLabels(db)).map(present),
    nextCursor: null,
  }))

  app.post('/api/labels', { config: { access: ADMIN }, schema: { tags, body: labelBody, response: { 201: labelSchema } } }, async (request, reply) => {
    await nameIsFree(request.body.name)
    return reply.code(201).send(present(await insertLabel(db, request.body)))
  })

  app.patch('/api/labels/:id', { config: { access: ADMIN }, schema: { tags, params: idParams, body: labelBody.partial(), response: { 200: labelSchema } } }, async (request) => {
    if (!(await findLabel(db, request.params.id))) throw notFound('Label')
    if (request.body.name) await nameIsFree(request.body.name, request.params.id)
    await updateLabel(db, request.params.id, request.body)
    return present((await findLabel(db, request.params.id))!)
  })

  app.delete('/api/labels/:id', { config: { access: ADMIN }, schema: { tags, params: idParams, response: { 204: z.null() } } }, async (request, reply) => {
    if (!(await findLabel(db, request.params.id))) throw notFound('Label')
    await db.transaction().execute((trx) => deleteLabel(trx, request.params.id))
    return reply.code(204).send(null)
  })

  app.put('/api/conversations/:id/labels/:labelId', { config: { access: STAFF }, schema: { tags, params: conversationLabelParams, response: { 204: z.null() } } }, async (request, reply) => {
    const { id, labelId } = request.params
    if (!(await findConversation(db, id))) throw notFound('Conversation')
    if (!(await findLabel(db, labelId))) throw notFound('Label')
    await applyLabel(db, { conversationId: id, labelId, by: request.auth?.user?.id ?? null })
    onConversationChanged(id)
    return reply.code(204).send(null)
  })

  app.delete('/api/conversations/:id/labels/:labelId', { config: { access: STAFF }, schema: { tags, params: conversationLabelParams, response: { 204: z.null() } } }, async (request, reply) => {
    const { id, labelId } = request.params
    if (!(await findConversation(db, id))) throw notFound('Conversation')
    await removeLabel(db, id, labelId)
    onConversationChanged(id)
    return reply.code(204).send(null)
  })
}
