import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { notFound } from '../../platform/errors.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import { resumeChannel } from './channels.repo.js'
import { GraphApiError, type GraphClient } from './graph-client.js'

export type ChannelRoutesOptions = {
  db: Db
  graph: GraphClient
  onResume: () => void
  /** What an admin copies into Meta's app dashboard. The secrets themselves are never shown. */
  connection: { phoneNumberId: string; wabaId: string; verifyToken: string; mode: 'live' | 'simulator' }
  /** PUBLIC_URL when set; otherwise the address the admin reaches us at. */
  publicUrl: string | undefined
}

const channelSchema = z.object({
  id: z.string(),
  wabaId: z.string(),
  displayPhoneNumber: z.string().nullable(),
  paused: z.object({ reason: z.string(), since: z.string() }).nullable(),
})

/** The WhatsApp numbers and whether sending is paused (for example after a token error). */
export const channelRoutes: FastifyPluginAsync<ChannelRoutesOptions> = async (base, { db, graph, onResume, connection, publicUrl }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const present = (c: { id: string; waba_id: string; display_phone_number: string | null; paused_reason: string | null; paused_at: string | null }) => ({
    id: c.id,
    wabaId: c.waba_id,
    displayPhoneNumber: c.display_phone_number,
    paused: c.paused_reason ? { reason: c.paused_reason, since: c.paused_at ?? '' } : null,
  })

  app.get('/api/channels', { config: { access: STAFF }, schema: { tags: ['channels'], response: { 200: listOf(channelSchema) } } }, async () => ({
    items: (await db.selectFrom('channels').selectAll().orderBy('id').execute()).map(present),
    nextCursor: null,
  }))

  const channelParams = z.object({ id: z.string().max(40) })
  const knownChannel = async (id: string) => {
    if (!(await db.selectFrom('channels').select('id').where('id', '=', id).executeTakeFirst())) throw notFound('Channel')
  }

  app.get('/api/channels/:id/connection', { config: { access: ADMIN }, schema: { tags: ['channels'], params: channelParams, response: { 200: z.object({ phoneNumberId: z.string(), wabaId: z.string(), verifyToken: z.string(), webhookUrl: z.string(), mode: z.enum(['live', 'simulator']) }) } } }, async (request) => {
    await knownChannel(request.params.id)
    return { ...connection, webhookUrl: `${publicUrl ?? `${request.protocol}://${request.host}`}/webhooks/whatsapp` }
  })

  // A live call to the Graph API with the configured token: proves token, number id and network.
  app.post('/api/channels/:id/test', { config: { access: ADMIN }, schema: { tags: ['channels'], params: channelParams, response: { 200: z.object({ ok: z.boolean(), displayPhoneNumber: z.string().nullable(), verifiedName: z.string().nullable(), qualityRating: z.string().nullable(), error: z.string().nullable() }) } } }, async (request) => {
    await knownChannel(request.params.id)
    try {
      const n = await graph.phoneNumber(request.params.id)
      return { ok: true, displayPhoneNumber: n.display_phone_number ?? null, verifiedName: n.verified_name ?? null, qualityRating: n.quality_rating ?? null, error: null }
    } catch (err) {
      const error = err instanceof GraphApiError ? `${err.code ?? err.httpStatus}: ${err.message}` : String((err as Error).message)
      return { ok: false, displayPhoneNumber: null, verifiedName: null, qualityRating: null, error }
    }
  })

  app.post('/api/channels/:id/resume', { config: { access: ADMIN }, schema: { tags: ['channels'], params: z.object({ id: z.string().max(40) }), response: { 200: channelSchema } } }, async (request) => {
    const channel = await db.selectFrom('channels').selectAll().where('id', '=', request.params.id).executeTakeFirst()
    if (!channel) throw notFound('Channel')
    await resumeChannel(db, channel.id)
    onResume()
    return present({ ...channel, paused_reason: null, paused_at: null })
  })
}
