import type { FastifyPluginAsync } from 'fastify'
import { AppError, unavailable } from '../../platform/errors.js'
import { jsonNestingDepth } from '../../platform/http/json-depth.js'
import { replaceNulCharacters } from '../../platform/http/nul-guard.js'
import { safeEqual } from '../../platform/ids.js'
import type { WebhookIngestor } from './ingest.js'
import { isValidSignature } from './signature.js'
import { MalformedWebhookError } from './webhook-events.js'

/** Meta's webhook bodies can be large (coexistence history batches); anything above is refused. */
export const WEBHOOK_BODY_LIMIT = 3 * 1024 * 1024
/** Meta's payloads nest about ten levels; far deeper is no webhook and would overflow recursive code. */
export const WEBHOOK_MAX_DEPTH = 64
const NUL_ESCAPE = Buffer.from('\\u0000')

export type WebhookRoutesOptions = {
  /** Read per request: an admin may replace the credentials while the server runs. */
  credentials: { readonly appSecret: string; readonly verifyToken: string }
  ingestor: WebhookIngestor
}

/**
 * `GET /webhooks/whatsapp`: Meta's verification handshake.
 * `POST /webhooks/whatsapp`: signed events. Order matters: signature over the raw bytes first
 * (401, nothing stored), then JSON (400), then a durable commit, then 200. A database failure
 * answers 503 so that Meta delivers again.
 */
export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (app, opts) => {
  // Keep the exact bytes: the signature is over them, and the journal stores them.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body))

  app.get('/webhooks/whatsapp', { config: { access: 'public' } }, async (request, reply) => {
    const q = request.query as Record<string, unknown>
    const token = q['hub.verify_token']
    const challenge = q['hub.challenge']
    if (q['hub.mode'] !== 'subscribe' || typeof token !== 'string' || !safeEqual(token, opts.credentials.verifyToken) || typeof challenge !== 'string') {
      throw new AppError('whatsapp.verification_failed', 403, 'The verify token does not match.')
    }
    return reply.type('text/plain').send(challenge)
  })

  app.post('/webhooks/whatsapp', { config: { access: 'public' }, bodyLimit: WEBHOOK_BODY_LIMIT }, async (request, reply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
    if (!isValidSignature(opts.credentials.appSecret, raw, request.headers['x-hub-signature-256'])) {
      throw new AppError('whatsapp.bad_signature', 401, 'Missing or invalid X-Hub-Signature-256.')
    }
    let body: unknown
    try {
      body = JSON.parse(raw.toString('utf8'))
    } catch {
      throw new AppError('whatsapp.malformed_json', 400, 'The body is not valid JSON.')
    }
    if (jsonNestingDepth(raw) > WEBHOOK_MAX_DEPTH) {
      throw new AppError('whatsapp.malformed_webhook', 400, `The body nests objects and arrays deeper than ${WEBHOOK_MAX_DEPTH} levels.`)
    }
    // JSON can carry a NUL only as the escape \u0000. PostgreSQL's text cannot hold one, and Meta
    // would deliver a refused webhook forever: the projections get U+FFFD, the journal the bytes.
    if (raw.includes(NUL_ESCAPE)) replaceNulCharacters(body)
    try {
      const result = await opts.ingestor.submit(raw, body)
      if (result.unrouted.length > 0) request.log.warn({ seq: result.journalSeq }, 'webhook for a phone number id that is not configured')
    } catch (error) {
      if (error instanceof MalformedWebhookError) throw new AppError('whatsapp.malformed_webhook', 400, error.message)
      throw unavailable('The webhook could not be stored; please deliver it again.', error)
    }
    return reply.code(200).type('text/plain').send('EVENT_RECEIVED')
  })
}
