import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { notFound } from '../../platform/errors.js'
import { ADMIN } from '../../platform/http/access.js'
import { nowIso } from '../../platform/time.js'
import type { Integrations } from './integrations.js'

const integrationSchema = z.object({ id: z.string(), name: z.string(), url: z.string(), createdAt: z.string() })

/** Admins name the systems to tell about erasure, restriction and rectification; the signing secret is shown once. */
export const integrationRoutes: FastifyPluginAsync<{ db: Db; integrations: Integrations }> = async (base, { db, integrations }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['integrations']

  app.get('/api/integrations', { config: { access: ADMIN }, schema: { tags, response: { 200: z.object({ items: z.array(integrationSchema) }) } } }, async () => {
    const rows = await db.selectFrom('integrations').select(['id', 'name', 'url', 'created_at']).where('removed_at', 'is', null).orderBy('created_at').execute()
    return { items: rows.map((r) => ({ id: r.id, name: r.name, url: r.url, createdAt: r.created_at })) }
  })

  app.post(
    '/api/integrations',
    {
      config: { access: ADMIN },
      schema: { tags, body: z.object({ name: z.string().trim().min(1).max(100), url: z.url({ protocol: /^https?$/ }).max(2000) }), response: { 201: integrationSchema.extend({ secret: z.string().describe('signs every event (X-Postfach-Signature: sha256=HMAC of the body); shown only now') }) } },
    },
    async (request, reply) => {
      const { id, secret } = await integrations.add(db, { ...request.body, by: request.auth?.user?.id ?? null })
      return reply.code(201).send({ id, name: request.body.name, url: request.body.url, createdAt: nowIso(), secret })
    },
  )

  app.delete('/api/integrations/:id', { config: { access: ADMIN }, schema: { tags, params: z.object({ id: z.string().max(64) }) } }, async (request, reply) => {
    const res = await db.updateTable('integrations').set({ removed_at: nowIso() }).where('id', '=', request.params.id).where('removed_at', 'is', null).executeTakeFirst()
    if (Number(res.numUpdatedRows) === 0) throw notFound('Integration')
    return reply.code(204).send()
  })
}
