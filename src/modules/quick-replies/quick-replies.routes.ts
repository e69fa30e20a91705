import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import type { QuickReplyRow } from '../../db/schema.js'
import { AppError, conflict, forbidden, notFound } from '../../platform/errors.js'
import { STAFF } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'

const scope = z.enum(['team', 'personal'])
const quickReplyBody = z.object({
  shortcut: z.string().trim().regex(/^[\p{L}\p{N}_-]{1,30}$/u, 'letters, digits, - and _ (at most 30)'),
  body: z.string().trim().min(1).max(4096),
  scope: scope.default('personal'),
})
const quickReplySchema = z.object({ id: z.string(), shortcut: z.string(), body: z.string(), scope })
const idParams = z.object({ id: z.string().min(1).max(100) })

const present = (q: QuickReplyRow) => ({ id: q.id, shortcut: q.shortcut, body: q.body, scope: q.owner_id ? ('personal' as const) : ('team' as const) })

/**
 * Saved replies inserted by typing `/shortcut`: shared team replies (managed by admins) and
 * personal ones (each agent their own). Variables such as {{contact.name}} are filled in the app.
 */
export const quickReplyRoutes: FastifyPluginAsync<{ db: Db }> = async (base, { db }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['quick-replies']
  const access = STAFF

  /** A person sees team replies and their own; an API token (no person) sees team replies. */
  const caller = (request: FastifyRequest) => ({ userId: request.auth?.user?.id ?? null, role: request.auth?.role })
  const visibleTo = (userId: string | null) =>
    db.selectFrom('quick_replies').selectAll().where((eb) => (userId ? eb.or([eb('owner_id', 'is', null), eb('owner_id', '=', userId)]) : eb('owner_id', 'is', null)))

  /** Team replies: admins only. Personal replies: their owner only (others get 404, not a hint). */
  async function editable(request: FastifyRequest, id: string) {
    const { userId, role } = caller(request)
    const row = await visibleTo(userId).where('id', '=', id).executeTakeFirst()
    if (!row) throw notFound('Quick reply')
    if (!row.owner_id && role !== 'admin') throw forbidden('Only admins change team replies.')
    return row
  }

  async function shortcutIsFree(userId: string | null, ownerId: string | null, shortcut: string, exceptId?: string) {
    const same = await visibleTo(userId).where('shortcut', '=', shortcut).execute()
    const clash = same.find((q) => q.id !== exceptId && q.owner_id === ownerId)
    if (clash) throw conflict('quick_replies.shortcut_taken', `The shortcut /${shortcut} is taken.`)
  }

  app.get('/api/quick-replies', { config: { access }, schema: { tags, response: { 200: listOf(quickReplySchema) } } }, async (request) => ({
    items: (await visibleTo(caller(request).userId).orderBy('shortcut').execute()).map(present),
    nextCursor: null,
  }))

  app.post('/api/quick-replies', { config: { access }, schema: { tags, body: quickReplyBody, response: { 201: quickReplySchema } } }, async (request, reply) => {
    const { userId, role } = caller(request)
    if (request.body.scope === 'team' && role !== 'admin') throw forbidden('Only admins create team replies.')
    if (request.body.scope === 'personal' && !userId) throw new AppError('quick_replies.person_required', 422, 'Personal replies belong to a person; an API token can only manage team replies.')
    const ownerId = request.body.scope === 'team' ? null : userId
    await shortcutIsFree(userId, ownerId, request.body.shortcut)
    const now = nowIso()
    const row = { id: newId(), shortcut: request.body.shortcut, body: request.body.body, owner_id: ownerId, created_at: now, updated_at: now }
    await db.insertInto('quick_replies').values(row).execute()
    return reply.code(201).send(present(row))
  })

  app.patch('/api/quick-replies/:id', { config: { access }, schema: { tags, params: idParams, body: quickReplyBody.omit({ scope: true }).partial(), response: { 200: quickReplySchema } } }, async (request) => {
    const row = await editable(request, request.params.id)
    if (request.body.shortcut) await shortcutIsFree(caller(request).userId, row.owner_id, request.body.shortcut, row.id)
    const patch = { ...request.body, updated_at: nowIso() }
    await db.updateTable('quick_replies').set(patch).where('id', '=', row.id).execute()
    return present({ ...row, ...patch })
  })

  app.delete('/api/quick-replies/:id', { config: { access }, schema: { tags, params: idParams, response: { 204: z.null() } } }, async (request, reply) => {
    const row = await editable(request, request.params.id)
    await db.deleteFrom('quick_replies').where('id', '=', row.id).execute()
    return reply.code(204).send(null)
  })
}
