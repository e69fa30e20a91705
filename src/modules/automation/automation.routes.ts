import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { notFound } from '../../platform/errors.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { audit } from '../privacy/audit.js'
import { putSetting } from '../settings/settings.repo.js'
import { automationState } from './auto-replies.js'
import { automationKey, automationSchema, readAutomation } from './automation-settings.js'
import { holidaysOf, REGIONS } from './holidays.js'

const stateSchema = z.object({ open: z.boolean(), nextOpening: z.string().nullable(), timezone: z.string(), greeting: z.boolean(), away: z.boolean() })

/** Opening hours, holidays, greeting and away message; and whether they are in effect right now. */
export const automationRoutes: FastifyPluginAsync<{ db: Db; now: () => number; onChanged: () => void }> = async (base, { db, now, onChanged }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['automation']

  /** A number's own settings, or (without `channelId`) the workspace's, which apply where a number has none. */
  const channelQuery = z.object({ channelId: z.string().max(40).optional() })
  const knownChannel = async (channelId: string | undefined) => {
    if (channelId && !(await db.selectFrom('channels').select('id').where('id', '=', channelId).executeTakeFirst())) throw notFound('Channel')
  }

  app.get('/api/automation', { config: { access: STAFF }, schema: { tags, querystring: channelQuery, response: { 200: automationSchema.extend({ own: z.boolean().describe('false: the workspace settings apply to this number') }) } } }, async (request) => {
    const { channelId } = request.query
    await knownChannel(channelId)
    const own = !channelId || (await db.selectFrom('settings').select('key').where('key', '=', automationKey(channelId)).executeTakeFirst()) !== undefined
    return { ...(await readAutomation(db, channelId)), own }
  })

  app.put('/api/automation', { config: { access: ADMIN }, schema: { tags, querystring: channelQuery, body: automationSchema, response: { 200: automationSchema } } }, async (request) => {
    const { channelId } = request.query
    await knownChannel(channelId)
    await db.transaction().execute(async (tx) => {
      await putSetting(tx, automationKey(channelId), request.body, request.auth?.user?.id ?? null)
      await audit(tx, request, { action: 'settings.automation_changed', target: channelId ? `automation:${channelId}` : 'automation', detail: { greeting: request.body.greeting.enabled, away: request.body.away.enabled } })
    })
    onChanged()
    return readAutomation(db, channelId)
  })

  /** A number goes back to the workspace's settings. */
  app.delete('/api/automation', { config: { access: ADMIN }, schema: { tags, querystring: z.object({ channelId: z.string().max(40) }) } }, async (request, reply) => {
    const res = await db.deleteFrom('settings').where('key', '=', automationKey(request.query.channelId)).executeTakeFirst()
    if (Number(res.numDeletedRows) === 0) throw notFound('Settings of this number')
    await audit(db, request, { action: 'settings.automation_changed', target: `automation:${request.query.channelId}`, detail: { removed: true } })
    onChanged()
    return reply.code(204).send()
  })

  /** For the inbox header: open or closed now, the next opening, which automatic answers are on. */
  app.get('/api/automation/state', { config: { access: STAFF }, schema: { tags, querystring: channelQuery, response: { 200: stateSchema } } }, async (request) =>
    automationState(await readAutomation(db, request.query.channelId), now()),
  )

  /** The public holidays of a year in a region, so that the settings page can show what is closed. */
  app.get(
    '/api/automation/holidays',
    { config: { access: STAFF }, schema: { tags, querystring: z.object({ year: z.coerce.number().int().min(1990).max(2200), region: z.enum(REGIONS) }), response: { 200: z.object({ items: z.array(z.object({ date: z.string(), name: z.string() })) }) } } },
    async (request) => ({ items: holidaysOf(request.query.year, request.query.region) }),
  )
}
