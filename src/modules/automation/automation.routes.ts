import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { audit } from '../privacy/audit.js'
import { putSetting } from '../settings/settings.repo.js'
import { automationState } from './auto-replies.js'
import { automationSchema, readAutomation } from './automation-settings.js'
import { holidaysOf, REGIONS } from './holidays.js'

const stateSchema = z.object({ open: z.boolean(), nextOpening: z.string().nullable(), timezone: z.string(), greeting: z.boolean(), away: z.boolean() })

/** Opening hours, holidays, greeting and away message; and whether they are in effect right now. */
export const automationRoutes: FastifyPluginAsync<{ db: Db; now: () => number; onChanged: () => void }> = async (base, { db, now, onChanged }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['automation']

  app.get('/api/automation', { config: { access: STAFF }, schema: { tags, response: { 200: automationSchema } } }, async () => readAutomation(db))

  app.put('/api/automation', { config: { access: ADMIN }, schema: { tags, body: automationSchema, response: { 200: automationSchema } } }, async (request) => {
    await db.transaction().execute(async (tx) => {
      await putSetting(tx, 'automation', request.body, request.auth?.user?.id ?? null)
      await audit(tx, request, { action: 'settings.automation_changed', target: 'automation', detail: { greeting: request.body.greeting.enabled, away: request.body.away.enabled } })
    })
    onChanged()
    return readAutomation(db)
  })

  /** For the inbox header: open or closed now, the next opening, which automatic answers are on. */
  app.get('/api/automation/state', { config: { access: STAFF }, schema: { tags, response: { 200: stateSchema } } }, async () => automationState(await readAutomation(db), now()))

  /** The public holidays of a year in a region, so that the settings page can show what is closed. */
  app.get(
    '/api/automation/holidays',
    { config: { access: STAFF }, schema: { tags, querystring: z.object({ year: z.coerce.number().int().min(1990).max(2200), region: z.enum(REGIONS) }), response: { 200: z.object({ items: z.array(z.object({ date: z.string(), name: z.string() })) }) } } },
    async (request) => ({ items: holidaysOf(request.query.year, request.query.region) }),
  )
}
