import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { notFound } from '../../platform/errors.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import { resumeChannel } from './channels.repo.js'

const channelSchema = z.object({
  id: z.string(),
  wabaId: z.string(),
  displayPhoneNumber: z.string().nullable(),
  paused: z.object({ reason: z.string(), since: z.string() }).nullable(),
})

/** The WhatsApp numbers and whether sending is paused (for example after a token error). */
export const channelRoutes: FastifyPluginAsync<{ db: Db; onResume: () => void }> = async (base, { db, onResume }) => {
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

  app.post('/api/channels/:id/resume', { config: { access: ADMIN }, schema: { tags: ['channels'], params: z.object({ id: z.string().max(40) }), response: { 200: channelSchema } } }, async (request) => {
    const channel = await db.selectFrom('channels').selectAll().where('id', '=', request.params.id).executeTakeFirst()
    if (!channel) throw notFound('Channel')
    await resumeChannel(db, channel.id)
    onResume()
    return present({ ...channel, paused_reason: null, paused_at: null })
  })
}
