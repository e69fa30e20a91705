import { stringify } from 'csv-stringify/sync'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { STAFF } from '../../platform/http/access.js'
import { readAutomation, scheduleOf } from '../automation/automation-settings.js'
import { localTime } from '../automation/opening-hours.js'
import { series, summary } from './stats.js'

const MAX_DAYS = 400
const period = z
  .object({
    from: z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString()),
    to: z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString()),
    channelId: z.string().max(64).optional(),
    labelId: z.string().max(64).optional(),
    agentId: z.string().max(64).optional(),
  })
  .refine((p) => p.from < p.to, { message: '`from` must be before `to`', path: ['to'] })
  .refine((p) => Date.parse(p.to) - Date.parse(p.from) <= MAX_DAYS * 86_400_000, { message: `at most ${MAX_DAYS} days at once`, path: ['to'] })

const timing = z.object({ count: z.number(), medianSeconds: z.number().nullable(), p90Seconds: z.number().nullable() })
const counts = { received: z.number(), sent: z.number(), delivered: z.number(), read: z.number(), failed: z.number() }
const summarySchema = z.object({
  from: z.string(),
  to: z.string(),
  ...counts,
  firstResponseMedianSeconds: z.number().nullable(),
  firstResponseP90Seconds: z.number().nullable(),
  firstResponse: timing.extend({ withinHours: timing, outsideHours: timing }),
  conversationsStarted: z.number(),
  optIns: z.number(),
  optOuts: z.number(),
})
const seriesItem = z.object({ period: z.string(), ...counts })

/** The statistics dashboard's figures, and the per-period counts as JSON or CSV. */
export const statsRoutes: FastifyPluginAsync<{ db: Db }> = async (base, { db }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['statistics']

  app.get('/api/stats/summary', { config: { access: STAFF }, schema: { tags, querystring: period, response: { 200: summarySchema } } }, async (request) =>
    summary(db, request.query, scheduleOf(await readAutomation(db))),
  )

  app.get(
    '/api/stats/series',
    { config: { access: STAFF }, schema: { tags, querystring: period.and(z.object({ bucket: z.enum(['day', 'week', 'month']).default('day'), format: z.enum(['json', 'csv']).default('json') })), response: { 200: z.object({ items: z.array(seriesItem) }).or(z.string()) } } },
    async (request, reply) => {
      const { bucket, format, ...filter } = request.query
      const { timezone } = await readAutomation(db)
      const items = await series(db, filter, bucket, timezone)
      if (format === 'json') return { items }
      const csv = stringify(items, { header: true, columns: ['period', 'received', 'sent', 'delivered', 'read', 'failed'] })
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="postfach-statistik-${localTime(Date.parse(filter.from), timezone).date}-${bucket}.csv"`)
        .send(csv)
    },
  )
}
