import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../platform/errors.js'
import { STAFF } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import type { GraphTemplate } from './graph-client.js'
import type { TemplateCatalog } from './template-catalog.js'

const templateSchema = z.object({
  name: z.string(),
  language: z.string(),
  category: z.string(),
  /** The body text with its {{1}}… placeholders, for the picker's fields and live preview. */
  body: z.string(),
  header: z.string().nullable(),
  footer: z.string().nullable(),
  variables: z.number().int(),
})

/**
 * The approved message templates of the business account, for the template picker. Read from the
 * Graph API on demand; only APPROVED ones can be sent, so only those are offered.
 */
export const templateRoutes: FastifyPluginAsync<{ catalog: TemplateCatalog }> = async (base, { catalog }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()

  app.get('/api/templates', { config: { access: STAFF }, schema: { tags: ['templates'], response: { 200: listOf(templateSchema) } } }, async () => {
    const data = await catalog.list().catch((err: unknown) => {
      throw new AppError('templates.unavailable', 502, 'The WhatsApp templates could not be loaded.', { cause: err })
    })
    const text = (t: GraphTemplate, type: string) => t.components.find((c) => c.type.toUpperCase() === type)?.text ?? null
    return {
      items: data
        .filter((t) => t.status === 'APPROVED')
        .map((t) => {
          const body = text(t, 'BODY') ?? ''
          return { name: t.name, language: t.language, category: t.category, body, header: text(t, 'HEADER'), footer: text(t, 'FOOTER'), variables: new Set(body.match(/\{\{\d+\}\}/g) ?? []).size }
        }),
      nextCursor: null,
    }
  })
}
