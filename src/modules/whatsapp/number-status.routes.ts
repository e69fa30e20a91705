import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { AppError } from '../../platform/errors.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { audit } from '../privacy/audit.js'
import { getSetting, putSetting } from '../settings/settings.repo.js'
import { GraphApiError, type GraphClient } from './graph-client.js'

const numberSchema = z.object({
  displayPhoneNumber: z.string().nullable(),
  verifiedName: z.string().nullable(),
  nameStatus: z.string().nullable(),
  qualityRating: z.string().nullable(),
  messagingLimit: z.string().nullable(),
  throughput: z.string().nullable(),
  checkedAt: z.string().nullable(),
})
type NumberStatus = z.infer<typeof numberSchema>

const alertSchema = z.object({ id: z.string(), field: z.string(), subject: z.string(), event: z.string(), detail: z.record(z.string(), z.unknown()), occurredAt: z.string() })

const ACKED = 'channel.alerts.acknowledged'
const ALERT_WINDOW_DAYS = 90

/**
 * The number as Meta sees it (display name and its approval, quality rating, messaging limit,
 * throughput), read from the Graph API on demand and kept as the last known state; and the alerts
 * Meta's webhooks raised (rejected or paused templates, quality drops, a rejected name, account
 * alerts) until an admin acknowledges them.
 */
export const numberStatusRoutes: FastifyPluginAsync<{ db: Db; graph: GraphClient; phoneNumberId: () => string }> = async (base, { db, graph, phoneNumberId }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['channels']

  app.get('/api/channels/status', { config: { access: STAFF }, schema: { tags, response: { 200: numberSchema.extend({ live: z.boolean(), error: z.string().nullable() }) } } }, async () => {
    try {
      const n = await graph.phoneNumber(phoneNumberId())
      const status: NumberStatus = {
        displayPhoneNumber: n.display_phone_number ?? null,
        verifiedName: n.verified_name ?? null,
        nameStatus: n.name_status ?? null,
        qualityRating: n.quality_rating ?? null,
        messagingLimit: n.whatsapp_business_manager_messaging_limit ?? n.messaging_limit_tier ?? null,
        throughput: n.throughput?.level ?? null,
        checkedAt: new Date().toISOString(),
      }
      await putSetting(db, 'channel.status', status, null)
      return { ...status, live: true, error: null }
    } catch (err) {
      const error = err instanceof GraphApiError ? (err.details ?? err.message) : (err as Error).message
      const kept = await getSetting<NumberStatus>(db, 'channel.status')
      if (!kept) throw new AppError('channels.status_unavailable', 502, `WhatsApp did not answer: ${error}`, { cause: err })
      return { ...kept, live: false, error }
    }
  })

  app.get('/api/channels/alerts', { config: { access: STAFF }, schema: { tags, response: { 200: z.object({ items: z.array(alertSchema) }) } } }, async () => {
    const acked = new Set((await getSetting<string[]>(db, ACKED)) ?? [])
    const since = new Date(Date.now() - ALERT_WINDOW_DAYS * 86_400_000).toISOString()
    const rows = await db.selectFrom('account_events').selectAll().where('alert', '=', 1).where('occurred_at', '>=', since).orderBy('occurred_at', 'desc').limit(50).execute()
    return {
      items: rows.filter((r) => !acked.has(r.id)).map((r) => ({ id: r.id, field: r.field, subject: r.subject, event: r.event, detail: JSON.parse(r.detail) as Record<string, unknown>, occurredAt: r.occurred_at })),
    }
  })

  app.post('/api/channels/alerts/:id/acknowledge', { config: { access: ADMIN }, schema: { tags, params: z.object({ id: z.string().max(64) }) } }, async (request, reply) => {
    const row = await db.selectFrom('account_events').select('id').where('id', '=', request.params.id).where('alert', '=', 1).executeTakeFirst()
    if (!row) throw new AppError('channels.alert_not_found', 404, 'There is no such alert.')
    await db.transaction().execute(async (tx) => {
      const acked = (await getSetting<string[]>(tx, ACKED)) ?? []
      await putSetting(tx, ACKED, [...acked.filter((id) => id !== row.id), row.id].slice(-500), request.auth?.user?.id ?? null)
      await audit(tx, request, { action: 'channel.alert_acknowledged', target: `account-event:${row.id}` })
    })
    return reply.code(204).send()
  })
}
