import { stringify } from 'csv-stringify/sync'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db, Dialect } from '../../db/database.js'
import { STAFF } from '../../platform/http/access.js'
import { readAutomation, scheduleOf } from '../automation/automation-settings.js'
import { instantOf, localTime } from '../automation/opening-hours.js'
import { badRequest } from '../../platform/errors.js'
import { readReplyTarget } from '../reply-targets/reply-clock.js'
import { StatsDayCache } from './day-cache.js'
import { StatsProjector } from './projector.js'
import { OpeningsCache, series, summary, type StatsStore } from './stats.js'

/** The aggregates follow the messages this often in the background (requests also catch up first). */
const PROJECT_EVERY_MS = 5_000

const MAX_DAYS = 400
/** An instant, or a date meaning its midnight in the workspace's time zone (as the dashboard sends). */
const instant = z.union([z.iso.date(), z.iso.datetime({ offset: true })])
const period = z.object({
  from: instant,
  /** Exclusive. */
  to: instant,
  channelId: z.string().max(64).optional(),
  labelId: z.string().max(64).optional(),
  agentId: z.string().max(64).optional(),
  campaignId: z.string().max(64).optional(),
})

function resolvePeriod<T extends { from: string; to: string }>(q: T, timezone: string): T {
  const at = (s: string) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? instantOf(s, 0, timezone) : Date.parse(s)).toISOString()
  const p = { ...q, from: at(q.from), to: at(q.to) }
  if (p.from >= p.to) throw badRequest('`from` must be before `to`.', { field: 'to' })
  if (Date.parse(p.to) - Date.parse(p.from) > MAX_DAYS * 86_400_000) throw badRequest(`A period of at most ${MAX_DAYS} days at once.`, { field: 'to' })
  return p
}

const timing = z.object({ count: z.number(), medianSeconds: z.number().nullable(), p90Seconds: z.number().nullable() })
const counts = { received: z.number(), sent: z.number(), delivered: z.number(), read: z.number(), failed: z.number() }
const summarySchema = z.object({
  from: z.string(),
  to: z.string(),
  ...counts,
  firstResponseMedianSeconds: z.number().nullable(),
  firstResponseP90Seconds: z.number().nullable(),
  firstResponse: timing.extend({ withinHours: timing, outsideHours: timing }),
  resolution: timing.extend({ withinHours: timing, outsideHours: timing }),
  conversationsStarted: z.number(),
  conversationsResolved: z.number(),
  optIns: z.number(),
  optOuts: z.number(),
  /** Answers measured against the reply target (null: no target set): given within it, and later; share = met / (met + missed). */
  replyTarget: z.object({ minutes: z.number(), openingHoursOnly: z.boolean(), met: z.number(), missed: z.number(), share: z.number().nullable() }).nullable(),
})
const seriesItem = z.object({
  period: z.string(),
  ...counts,
  optIns: z.number(),
  optOuts: z.number(),
  /** With a reply target: the answers to customers who asked in the period, within and beyond it. */
  replyTargetMet: z.number().optional(),
  replyTargetMissed: z.number().optional(),
})

/** The statistics dashboard's figures, and the per-period counts as JSON or CSV. */
export const statsRoutes: FastifyPluginAsync<{ db: Db; dialect: Dialect; now: () => number }> = async (base, { db, dialect, now }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['statistics']
  const store: StatsStore = { projector: new StatsProjector(db, dialect), days: new StatsDayCache(db), openings: new OpeningsCache() }
  let warm = false
  let tick: Promise<void> | null = null
  const timer = setInterval(() => {
    // One tick at a time: a long catch-up (after an upgrade) is not joined by the next.
    if (tick) return
    tick = (async () => {
      await store.projector.background()
      // Once, in the background: the last 400 days into memory, so that the first dashboard after a start is as quick as the next.
      if (!warm) await store.days.daysOf(Date.now() - MAX_DAYS * 86_400_000, Date.now() + 86_400_000)
      warm = true
    })()
      .catch((err: unknown) => base.log.error({ err }, 'statistics projection failed'))
      .finally(() => {
        tick = null
      })
  }, PROJECT_EVERY_MS)
  timer.unref()
  base.addHook('onClose', async () => {
    clearInterval(timer)
    await tick
    await store.projector.idle()
  })

  app.get('/api/stats/summary', { config: { access: STAFF }, schema: { tags, querystring: period, response: { 200: summarySchema } } }, async (request) => {
    const automation = await readAutomation(db)
    return summary(db, store, resolvePeriod(request.query, automation.timezone), { schedule: scheduleOf(automation), replyTarget: await readReplyTarget(db), now: now() })
  })

  app.get(
    '/api/stats/series',
    { config: { access: STAFF }, schema: { tags, querystring: period.and(z.object({ bucket: z.enum(['day', 'week', 'month']).default('day'), format: z.enum(['json', 'csv']).default('json') })), response: { 200: z.object({ items: z.array(seriesItem) }).or(z.string()) } } },
    async (request, reply) => {
      const automation = await readAutomation(db)
      const { timezone } = automation
      const { bucket, format, ...filter } = resolvePeriod(request.query, timezone)
      const replyTarget = await readReplyTarget(db)
      const items = await series(db, dialect, store, filter, bucket, { schedule: scheduleOf(automation), replyTarget, now: now() })
      if (format === 'json') return { items }
      const targetColumns = replyTarget.minutes !== null ? ['replyTargetMet', 'replyTargetMissed'] : []
      const csv = stringify(items, { header: true, columns: ['period', 'received', 'sent', 'delivered', 'read', 'failed', 'optIns', 'optOuts', ...targetColumns] })
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="postfach-statistik-${localTime(Date.parse(filter.from), timezone).date}-${bucket}.csv"`)
        .send(csv)
    },
  )
}
