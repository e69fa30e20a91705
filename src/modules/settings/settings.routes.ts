import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { readSignWithName, SIGN_WITH_NAME_KEY } from '../outbound/agent-signature.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { getSetting, putSetting } from './settings.repo.js'

/**
 * A CRM link per contact, e.g. `https://crm.example/contacts?phone={{phone}}`. Postfach only
 * builds the link; it never copies CRM data. Only http(s) so that a template cannot become a
 * `javascript:` link.
 */
const crmUrlTemplate = z
  .string()
  .trim()
  .max(500)
  .refine((t) => /^https?:\/\//i.test(t) && URL.canParse(t.replaceAll(/\{\{\s*\w+\s*\}\}/g, 'x')), 'an http(s) URL; placeholders {{phone}}, {{waId}}, {{name}}')
  .nullable()

/** Who the company is: shown on the opt-in page and in the privacy documents (WA-1, GDPR-13). */
const company = z.object({
  name: z.string().trim().min(2).max(200),
  address: z.string().trim().min(5).max(500),
  email: z.email().max(320).optional(),
})
/** The privacy notice customers are pointed to; its version is recorded with every consent. */
const privacyNotice = z.object({
  url: z.url({ protocol: /^https?$/ }).max(500),
  version: z.string().trim().min(1).max(40),
})

/** Free-form texts from a colleague start with their name in bold, so the customer knows who writes. */
const signWithName = z.boolean()

const settingsSchema = z.object({ crmUrlTemplate, company: company.nullable(), privacyNotice: privacyNotice.nullable(), signWithName })
export type CompanySettings = z.infer<typeof company>
export type PrivacyNotice = z.infer<typeof privacyNotice>

export const settingsRoutes: FastifyPluginAsync<{ db: Db }> = async (base, { db }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['settings']
  const read = async () => ({
    crmUrlTemplate: (await getSetting<string>(db, 'crm.url_template')) ?? null,
    company: (await getSetting<CompanySettings>(db, 'company')) ?? null,
    privacyNotice: (await getSetting<PrivacyNotice>(db, 'privacy.notice')) ?? null,
    signWithName: await readSignWithName(db),
  })

  app.get('/api/settings', { config: { access: STAFF }, schema: { tags, response: { 200: settingsSchema } } }, read)

  app.put('/api/settings', { config: { access: ADMIN }, schema: { tags, body: settingsSchema.partial(), response: { 200: settingsSchema } } }, async (request) => {
    const by = request.auth?.user?.id ?? null
    const { crmUrlTemplate, company, privacyNotice, signWithName } = request.body
    await db.transaction().execute(async (tx) => {
      if (crmUrlTemplate !== undefined) await putSetting(tx, 'crm.url_template', crmUrlTemplate || null, by)
      if (company !== undefined) await putSetting(tx, 'company', company, by)
      if (privacyNotice !== undefined) await putSetting(tx, 'privacy.notice', privacyNotice, by)
      if (signWithName !== undefined) await putSetting(tx, SIGN_WITH_NAME_KEY, signWithName, by)
    })
    return read()
  })
}
