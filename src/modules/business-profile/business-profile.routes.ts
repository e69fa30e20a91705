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
export const businessProfileRoutes: FastifyPluginAsync<{ db: Db; graph: GraphClient; phoneNumberId: () => string }> = async (base, { db, graph, phoneNumberId }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['business profile']

  app.get('/api/business-profile', { config: { access: STAFF }, schema: { tags, response: { 200: responseSchema } } }, async () => {
    const kept = await readBusinessProfile(db)
    try {
      const profile = fromGraph(await graph.businessProfile(phoneNumberId()), kept)
      return { ...profile, sync: { ok: true, error: null } }
    } catch (err) {
      if (!kept) throw new AppError('business_profile.profile_unavailable', 502, `WhatsApp did not answer with the profile: ${reason(err)}`, { cause: err })
      return { ...kept, sync: { ok: false, error: reason(err) } }
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
    return { ...profile, sync: { ok: true, error: null } }
  })
}
