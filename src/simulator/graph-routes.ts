import multipart from '@fastify/multipart'
import { createHash, randomInt } from 'node:crypto'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { MAGIC_RECIPIENTS, SimGraphError } from './graph-error.js'
import type { SimulatorState } from './state.js'

/**
 * The Graph endpoints Postfach uses, with Meta's shapes and error bodies: messages (send, mark
 * read), media (upload, retrieve, download), phone number, business profile, templates.
 */
export const graphRoutes: FastifyPluginAsync<{ state: SimulatorState }> = async (app, { state }) => {
  await app.register(multipart, { limits: { fileSize: 100 * 1024 * 1024 } })
  const config = { access: 'public' as const }

  app.setErrorHandler((error, _request, reply) => {
    const e = error instanceof SimGraphError ? error : new SimGraphError((error as { statusCode?: number }).statusCode ?? 400, 100, (error as Error).message)
    return reply.code(e.httpStatus).send(e.toBody())
  })

  const authorize = (request: FastifyRequest) => {
    const header = request.headers.authorization ?? ''
    if (header !== `Bearer ${state.accessToken}`) throw new SimGraphError(401, 190, 'Invalid OAuth access token - Cannot parse access token')
  }
  const checkNumber = (id: string) => {
    if (id !== state.identity.phoneNumberId) throw new SimGraphError(400, 100, `Unsupported post request. Object with ID '${id}' does not exist`)
  }

  app.post('/:version/:phoneNumberId/messages', { config }, async (request) => {
    authorize(request)
    const { phoneNumberId } = request.params as { phoneNumberId: string }
    checkNumber(phoneNumberId)
    const body = (request.body ?? {}) as Record<string, unknown>
    if (body.messaging_product !== 'whatsapp') throw new SimGraphError(400, 100, 'The parameter messaging_product is required.')
    if (body.status === 'read') {
      if (!state.knowsWamid(String(body.message_id))) throw new SimGraphError(400, 100, 'Invalid parameter', 'message_id is not a known message')
      const typing = body.typing_indicator as { type?: unknown } | undefined
      if (typing !== undefined && typing?.type !== 'text') throw new SimGraphError(400, 100, 'Invalid parameter', 'typing_indicator.type must be "text"')
      state.markRead(String(body.message_id), typing !== undefined)
      return { success: true }
    }
    return state.acceptSend(body)
  })

  app.post('/:version/:phoneNumberId/media', { config }, async (request) => {
    authorize(request)
    checkNumber((request.params as { phoneNumberId: string }).phoneNumberId)
    const file = await request.file()
    if (!file) throw new SimGraphError(400, 100, 'The parameter file is required.')
    const bytes = await file.toBuffer()
    return { id: state.storeMedia(bytes, file.mimetype) }
  })

  app.get('/:version/:id', { config }, async (request) => {
    authorize(request)
    const { id } = request.params as { id: string }
    if (id === state.identity.phoneNumberId) return state.phoneNumberInfo()
    const media = state.media.get(id)
    if (!media) throw new SimGraphError(404, 100, `Unsupported get request. Object with ID '${id}' does not exist`)
    return {
      messaging_product: 'whatsapp',
      url: `${state.publicBase()}/media-download/${id}?token=${randomInt(1e9)}`,
      mime_type: media.mimeType,
      sha256: createHash('sha256').update(media.bytes).digest('hex'),
      file_size: media.bytes.length,
      id,
    }
  })

  app.get('/media-download/:id', { config }, async (request, reply) => {
    authorize(request)
    const media = state.media.get((request.params as { id: string }).id)
    if (!media) throw new SimGraphError(404, 100, 'Media not found')
    return reply.type(media.mimeType).send(media.bytes)
  })

  app.get('/:version/:phoneNumberId/whatsapp_business_profile', { config }, async (request) => {
    authorize(request)
    const picture = state.profilePicture ? { profile_picture_url: `${state.publicBase()}/profile-picture?v=${state.profilePicture.bytes.length}` } : {}
    return { data: [{ ...state.profile, ...picture, messaging_product: 'whatsapp' }] }
  })

  const checkWaba = (id: string) => {
    if (id !== state.identity.wabaId) throw new SimGraphError(400, 100, `Unsupported request. Object with ID '${id}' does not exist`)
  }

  app.get('/:version/:wabaId/message_templates', { config }, async (request) => {
    authorize(request)
    checkWaba((request.params as { wabaId: string }).wabaId)
    return { data: state.templates, paging: { cursors: { before: 'MAZDZD', after: 'MjQZD' } } }
  })

  app.post('/:version/:wabaId/message_templates', { config }, async (request) => {
    authorize(request)
    checkWaba((request.params as { wabaId: string }).wabaId)
    return state.createTemplate((request.body ?? {}) as Record<string, unknown>)
  })

  app.delete('/:version/:wabaId/message_templates', { config }, async (request) => {
    authorize(request)
    checkWaba((request.params as { wabaId: string }).wabaId)
    const name = (request.query as { name?: string }).name
    if (!name || !state.deleteTemplate(name)) throw new SimGraphError(400, 100, 'Invalid parameter', `template ${String(name)} does not exist`)
    return { success: true }
  })

  app.get('/:version/:wabaId/phone_numbers', { config }, async (request) => {
    authorize(request)
    checkWaba((request.params as { wabaId: string }).wabaId)
    return { data: [state.phoneNumberInfo()], paging: { cursors: { before: 'QVFI', after: 'QVFI' } } }
  })

  app.post('/:version/:wabaId/subscribed_apps', { config }, async (request) => {
    authorize(request)
    checkWaba((request.params as { wabaId: string }).wabaId)
    return { success: true }
  })

  app.post('/:version/:phoneNumberId/register', { config }, async (request) => {
    authorize(request)
    checkNumber((request.params as { phoneNumberId: string }).phoneNumberId)
    const pin = (request.body as { pin?: unknown } | undefined)?.pin
    if (typeof pin !== 'string' || !/^\d{6}$/.test(pin)) throw new SimGraphError(400, 133005, 'Two step verification PIN Mismatch')
    return { success: true }
  })

  // Meta's resumable upload through the app: a session for the file, then its bytes; answers a handle.
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: 10 * 1024 * 1024 }, (_req, body, done) => done(null, body))
  app.post('/:version/:appId/uploads', { config }, async (request) => {
    authorize(request)
    const q = request.query as { file_name?: string; file_length?: string; file_type?: string }
    const length = Number(q.file_length)
    if (!q.file_name || !Number.isInteger(length) || length <= 0) throw new SimGraphError(400, 100, 'Invalid parameter', 'file_name and file_length are required')
    if (!['application/pdf', 'image/jpeg', 'image/jpg', 'image/png', 'video/mp4'].includes(q.file_type ?? '')) throw new SimGraphError(400, 100, 'Invalid parameter', 'file_type must be application/pdf, image/jpeg, image/jpg, image/png or video/mp4')
    return { id: state.startUpload({ length, type: q.file_type! }) }
  })
  app.post('/:version/:session', { config }, async (request) => {
    authorize(request)
    const { session } = request.params as { session: string }
    if (!session.startsWith('upload:')) throw new SimGraphError(400, 100, `Unsupported post request. Object with ID '${session}' does not exist`)
    if (request.headers.file_offset !== '0') throw new SimGraphError(400, 100, 'Invalid parameter', 'file_offset must be 0 for a new upload')
    return { h: state.finishUpload(session, request.body as Buffer) }
  })

  app.post('/:version/:phoneNumberId/whatsapp_business_profile', { config }, async (request) => {
    authorize(request)
    checkNumber((request.params as { phoneNumberId: string }).phoneNumberId)
    state.updateProfile((request.body ?? {}) as Record<string, unknown>)
    return { success: true }
  })
}

export { MAGIC_RECIPIENTS }
