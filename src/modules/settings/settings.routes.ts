import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
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

const settingsSchema = z.object({ crmUrlTemplate })

export const settingsRoutes: FastifyPluginAsync<{ db: Db }> = async (base, { db }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['settings']
  const read = async () => ({ crmUrlTemplate: (await getSetting<string>(db, 'crm.url_template')) ?? null })

  app.get('/api/settings', { config: { access: STAFF }, schema: { tags, response: { 200: settingsSchema } } }, read)

  app.put('/api/settings', { config: { access: ADMIN }, schema: { tags, body: settingsSchema.partial(), response: { 200: settingsSchema } } }, async (request) => {
    const by = request.auth?.user?.id ?? null
    if (request.body.crmUrlTemplate !== undefined) await putSetting(db, 'crm.url_template', request.body.crmUrlTemplate || null, by)
    return read()
  })
}
