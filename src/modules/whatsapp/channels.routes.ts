import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { notFound } from '../../platform/errors.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import { DEFAULT_GRAPH_BASE_URL } from '../../config.js'
import { AppError } from '../../platform/errors.js'
import type { SecretBox } from '../../platform/crypto/secret-box.js'
import { ensureChannel, resumeChannel } from './channels.repo.js'
import { saveCredentials, type WhatsAppConnection } from './connection.js'
import { GraphApiError, GraphClient } from './graph-client.js'

export type ChannelRoutesOptions = {
  db: Db
  graph: GraphClient
  onResume: () => void
  connection: WhatsAppConnection
  secretBox: SecretBox
  /** PUBLIC_URL when set; otherwise the address the admin reaches us at. */
  publicUrl: string | undefined
}

const digits = (what: string) => z.string().trim().regex(/^\d{5,25}$/, `${what}: digits only`)
/** Write-only: a full set is saved at once, tested against the Graph API first, and never shown again. */
const credentialsBody = z.object({
  phoneNumberId: digits('phone number id'),
  businessAccountId: digits('WhatsApp Business Account id'),
  accessToken: z.string().trim().min(20).max(2000),
  appSecret: z.string().trim().min(16).max(200),
  verifyToken: z.string().trim().min(8).max(200),
  apiBaseUrl: z.url({ protocol: /^https?$/ }).max(300).optional(),
})
const connectionSchema = z.object({
  phoneNumberId: z.string(),
  wabaId: z.string(),
  verifyToken: z.string(),
  webhookUrl: z.string(),
  source: z.enum(['environment', 'database', 'simulator']),
})

const channelSchema = z.object({
  id: z.string(),
  wabaId: z.string(),
  displayPhoneNumber: z.string().nullable(),
  paused: z.object({ reason: z.string(), since: z.string() }).nullable(),
  /** The number is the built-in simulator's: its customers' phones are at `/simulator`. */
  simulated: z.boolean(),
})

/** The WhatsApp numbers and whether sending is paused (for example after a token error). */
export const channelRoutes: FastifyPluginAsync<ChannelRoutesOptions> = async (base, { db, graph, onResume, connection, secretBox, publicUrl }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const present = (c: { id: string; waba_id: string; display_phone_number: string | null; paused_reason: string | null; paused_at: string | null }) => ({
    id: c.id,
    wabaId: c.waba_id,
    displayPhoneNumber: c.display_phone_number,
    paused: c.paused_reason ? { reason: c.paused_reason, since: c.paused_at ?? '' } : null,
    simulated: connection.source === 'simulator' && c.id === connection.phoneNumberId,
  })

  app.get('/api/channels', { config: { access: STAFF }, schema: { tags: ['channels'], response: { 200: listOf(channelSchema) } } }, async () => ({
    items: (await db.selectFrom('channels').selectAll().orderBy('id').execute()).map(present),
    nextCursor: null,
  }))

  const channelParams = z.object({ id: z.string().max(40) })
  const knownChannel = async (id: string) => {
    if (!(await db.selectFrom('channels').select('id').where('id', '=', id).executeTakeFirst())) throw notFound('Channel')
  }

  /** What an admin copies into Meta's app dashboard. App secret and access token are never shown. */
  const view = (host: string) => ({
    phoneNumberId: connection.phoneNumberId,
    wabaId: connection.businessAccountId,
    verifyToken: connection.verifyToken,
    webhookUrl: `${publicUrl ?? host}/webhooks/whatsapp`,
    source: connection.source,
  })

  app.get('/api/channels/:id/connection', { config: { access: ADMIN }, schema: { tags: ['channels'], params: channelParams, response: { 200: connectionSchema } } }, async (request) => {
    await knownChannel(request.params.id)
    return view(`${request.protocol}://${request.host}`)
  })

  app.put('/api/channels/credentials', { config: { access: ADMIN }, bodyLimit: 16 * 1024, schema: { tags: ['channels'], body: credentialsBody, response: { 200: connectionSchema } } }, async (request) => {
    if (connection.source === 'environment') {
      throw new AppError('channels.managed_by_environment', 409, 'The WhatsApp credentials come from environment variables (WHATSAPP_*); change them there.')
    }
    const creds = { ...request.body, apiBaseUrl: (request.body.apiBaseUrl ?? DEFAULT_GRAPH_BASE_URL).replace(/\/+$/, '') }
    // Nothing is stored unless Meta accepts the token for this number.
    const number = await new GraphClient(creds).phoneNumber(creds.phoneNumberId).catch((err: unknown) => {
      const reason = err instanceof GraphApiError ? `${err.code ?? err.httpStatus}: ${err.message}` : String((err as Error).message)
      throw new AppError('channels.credentials_rejected', 422, `The Graph API refused these credentials (${reason}).`, { cause: err })
    })
    await db.transaction().execute(async (trx) => {
      await saveCredentials(trx, secretBox, creds, request.auth?.user?.id ?? null)
      await ensureChannel(trx, { id: creds.phoneNumberId, wabaId: creds.businessAccountId, displayPhoneNumber: number.display_phone_number?.replace(/\D/g, '') })
    })
    connection.replace(creds, 'database')
    onResume()
    return view(`${request.protocol}://${request.host}`)
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
