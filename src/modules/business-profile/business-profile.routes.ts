import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { AppError } from '../../platform/errors.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { audit } from '../privacy/audit.js'
import { putSetting } from '../settings/settings.repo.js'
import { GraphApiError, type GraphBusinessProfile, type GraphClient } from '../whatsapp/graph-client.js'
import { type BusinessProfile, businessProfileSchema, readBusinessProfile, VERTICALS } from './business-profile.js'

const responseSchema = businessProfileSchema.extend({
  /** Whether WhatsApp shows a profile picture (its address is Meta's; the page does not load it). */
  profilePicture: z.boolean(),
  /** Whether the fields above were just read from WhatsApp, or are Postfach's last known copy. */
  sync: z.object({ ok: z.boolean(), error: z.string().nullable() }),
})

const toGraph = (p: BusinessProfile): GraphBusinessProfile => ({
  about: p.about,
  address: p.address,
  description: p.description,
  email: p.email,
  websites: p.websites,
  ...(p.vertical ? { vertical: p.vertical } : {}),
})

const fromGraph = (g: GraphBusinessProfile, kept: BusinessProfile | undefined): BusinessProfile => ({
  about: g.about ?? kept?.about ?? '',
  description: g.description ?? '',
  address: g.address ?? '',
  email: g.email ?? '',
  websites: g.websites ?? [],
  vertical: VERTICALS.find((v) => v === g.vertical) ?? null,
  legalNotice: kept?.legalNotice ?? null,
})

const reason = (err: unknown) => (err instanceof GraphApiError ? (err.details ?? err.message) : (err as Error).message)

/**
 * The WhatsApp business profile, synced both ways: reading pulls what WhatsApp shows (changes
 * made in Meta's tools arrive here), saving pushes to WhatsApp first and keeps the result only
 * when WhatsApp accepted it. The legal notice is required before anything is saved.
 */
export const businessProfileRoutes: FastifyPluginAsync<{ db: Db; graph: GraphClient; phoneNumberId: () => string; account: { readonly appId: string | undefined } }> = async (base, { db, graph, phoneNumberId, account }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['business profile']

  app.get('/api/business-profile', { config: { access: STAFF }, schema: { tags, response: { 200: responseSchema } } }, async () => {
    const kept = await readBusinessProfile(db)
    try {
      const live = await graph.businessProfile(phoneNumberId())
      return { ...fromGraph(live, kept), profilePicture: Boolean(live.profile_picture_url), sync: { ok: true, error: null } }
    } catch (err) {
      if (!kept) throw new AppError('business_profile.profile_unavailable', 502, `WhatsApp did not answer with the profile: ${reason(err)}`, { cause: err })
      return { ...kept, profilePicture: false, sync: { ok: false, error: reason(err) } }
    }
  })

  app.put('/api/business-profile', { config: { access: ADMIN }, schema: { tags, body: businessProfileSchema, response: { 200: responseSchema } } }, async (request) => {
    const profile = request.body
    if (!profile.legalNotice) {
      throw new AppError('business_profile.legal_notice_required', 400, 'A legal notice (Impressum: a link, or the provider’s name, address, contact, register and VAT id) is required before the profile can be saved.', { details: { field: 'legalNotice' } })
    }
    try {
      await graph.updateBusinessProfile(phoneNumberId(), toGraph(profile))
    } catch (err) {
      throw new AppError('business_profile.profile_rejected', 502, `WhatsApp did not accept the profile: ${reason(err)}`, { cause: err, details: { whatsapp: reason(err) } })
    }
    await db.transaction().execute(async (tx) => {
      await putSetting(tx, 'business.profile', profile, request.auth?.user?.id ?? null)
      await audit(tx, request, { action: 'settings.business_profile_changed', target: 'business-profile' })
    })
    const live = await graph.businessProfile(phoneNumberId()).catch(() => undefined)
    return { ...profile, profilePicture: Boolean(live?.profile_picture_url), sync: { ok: true, error: null } }
  })

  /**
   * The profile picture: a JPEG or PNG of at most 5 MB (Meta scales it to 640 px), uploaded
   * through the Meta app and set on the profile. Needs the app's id (`WHATSAPP_APP_ID`).
   */
  await app.register(async (scoped) => {
    scoped.addContentTypeParser(['image/jpeg', 'image/png'], { parseAs: 'buffer', bodyLimit: PICTURE_LIMIT }, (_req, body, done) => done(null, body))
    scoped.put('/api/business-profile/picture', { config: { access: ADMIN }, bodyLimit: PICTURE_LIMIT, schema: { tags } }, async (request, reply) => {
      // Other content types (JSON among them) reach here parsed by the app's own parsers.
      if (!Buffer.isBuffer(request.body)) throw new AppError('business_profile.not_an_image', 415, 'Send the picture as image/jpeg or image/png.')
      const bytes = request.body
      const type = request.headers['content-type']?.split(';')[0]?.trim() ?? ''
      const looksRight = type === 'image/png' ? bytes.subarray(0, 8).equals(PNG_MAGIC) : bytes.subarray(0, 3).equals(JPEG_MAGIC)
      if (!looksRight) throw new AppError('business_profile.not_an_image', 400, `The body is not a ${type === 'image/png' ? 'PNG' : 'JPEG'} image.`)
      const appId = account.appId
      if (!appId) throw new AppError('business_profile.app_id_missing', 409, 'Setting the profile picture needs the Meta app id (WHATSAPP_APP_ID).')
      try {
        const handle = await graph.uploadThroughApp(appId, { bytes, mimeType: type, filename: type === 'image/png' ? 'profil.png' : 'profil.jpg' })
        await graph.updateBusinessProfile(phoneNumberId(), { profile_picture_handle: handle })
      } catch (err) {
        throw new AppError('business_profile.profile_rejected', 502, `WhatsApp did not accept the picture: ${reason(err)}`, { cause: err, details: { whatsapp: reason(err) } })
      }
      await audit(db, request, { action: 'settings.business_profile_changed', target: 'business-profile', detail: { picture: bytes.length } })
      return reply.code(204).send()
    })
  })
}

const PICTURE_LIMIT = 5 * 1024 * 1024
const PNG_MAGIC = Buffer.from('89504e470d0a1a0a', 'hex')
const JPEG_MAGIC = Buffer.from('ffd8ff', 'hex')
