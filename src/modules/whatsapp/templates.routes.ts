import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { collectChunks } from '../../platform/chunks.js'
import { AppError } from '../../platform/errors.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import type { KeywordMatcher } from '../consent/keywords.js'
import { hasOptOut } from '../consent/template-opt-out.js'
import { audit } from '../privacy/audit.js'
import { GraphApiError, type GraphClient, type GraphTemplate } from './graph-client.js'
import type { TemplateCatalog } from './template-catalog.js'
import { graphComponents, templateDefinition } from './template-definition.js'

const templateSchema = z.object({
  id: z.string(),
  name: z.string(),
  language: z.string(),
  category: z.string(),
  status: z.string(),
  /** The body text with its {{1}}… placeholders, for the picker's fields and live preview. */
  body: z.string(),
  header: z.string().nullable(),
  footer: z.string().nullable(),
  variables: z.number().int(),
  /** From Meta's webhooks: why it was rejected, paused or disabled, and its quality. */
  reason: z.string().nullable(),
  quality: z.string().nullable(),
})

const text = (t: GraphTemplate, type: string) => t.components.find((c) => c.type.toUpperCase() === type)?.text ?? null
const graphDetail = (err: unknown) => (err instanceof GraphApiError ? (err.details ?? err.message) : (err as Error).message)

type TemplateEvent = { subject: string; field: string; event: string; detail: string }

/**
 * What Meta last reported on each shown template, per kind of report (and per status for the
 * verdicts): the shown templates' own events only, read by the subject index and kept in a map,
 * so a long history of reports costs one pass.
 */
async function latestTemplateEvents(db: Db, shown: GraphTemplate[]) {
  const subjectOf = (t: GraphTemplate) => `template:${t.name}/${t.language}`
  const events = await collectChunks([...new Set(shown.map(subjectOf))], (subjects) =>
    db.selectFrom('account_events').select(['subject', 'field', 'event', 'detail']).where('subject', 'in', subjects).orderBy('occurred_at').orderBy('journal_seq').execute(),
  )
  const last = new Map<string, TemplateEvent>()
  for (const e of events) {
    last.set(`${e.subject}|${e.field}`, e)
    last.set(`${e.subject}|${e.field}|${e.event}`, e)
  }
  return (t: GraphTemplate, field: string, event?: string) => last.get(event ? `${subjectOf(t)}|${field}|${event}` : `${subjectOf(t)}|${field}`)
}

/**
 * Message templates of the business account, through the Graph API: the approved ones for the
 * picker (the default), all of them with Meta's verdicts for the admin page, creating (submitted
 * to Meta's review) and deleting. Status and quality arrive by webhook (account-events.ts).
 */
export const templateRoutes: FastifyPluginAsync<{ db: Db; catalog: TemplateCatalog; graph: GraphClient; account: { readonly businessAccountId: string }; keywords: KeywordMatcher }> = async (
  base,
  { db, catalog, graph, account, keywords },
) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['templates']

  app.get(
    '/api/templates',
    { config: { access: STAFF }, schema: { tags, querystring: z.object({ status: z.enum(['approved', 'all']).default('approved') }), response: { 200: listOf(templateSchema) } } },
    async (request) => {
      const data = await catalog.list().catch((err: unknown) => {
        throw new AppError('templates.unavailable', 502, 'The WhatsApp templates could not be loaded.', { cause: err })
      })
      const shown = request.query.status === 'all' ? data : data.filter((t) => t.status === 'APPROVED')
      const latest = await latestTemplateEvents(db, shown)
      return {
        items: shown.map((t) => {
          const body = text(t, 'BODY') ?? ''
          // The reason Meta gave for the status the template has now.
          const verdict = latest(t, 'message_template_status_update', t.status)
          const reason = verdict ? ((JSON.parse(verdict.detail) as { reason?: string | null }).reason ?? null) : null
          return {
            id: String(t.id),
            name: t.name,
            language: t.language,
            category: t.category,
            status: t.status,
            body,
            header: text(t, 'HEADER'),
            footer: text(t, 'FOOTER'),
            variables: new Set(body.match(/\{\{\d+\}\}/g) ?? []).size,
            reason: reason && reason !== 'NONE' ? reason : null,
            quality: latest(t, 'message_template_quality_update')?.event ?? null,
          }
        }),
        nextCursor: null,
      }
    },
  )

  app.post(
    '/api/templates',
    { config: { access: ADMIN }, schema: { tags, body: templateDefinition, response: { 201: z.object({ id: z.string(), name: z.string(), language: z.string(), status: z.string(), category: z.string() }) } } },
    async (request, reply) => {
      const t = request.body
      const components = graphComponents(t)
      // Advertising must say how to object, in every message (§ 7 UWG, Art. 21(4) GDPR); the send path refuses it otherwise.
      if (t.category === 'marketing' && !hasOptOut({ id: '', name: t.name, language: t.language, status: '', category: 'MARKETING', components: components as GraphTemplate['components'] }, keywords)) {
        throw new AppError('templates.opt_out_missing', 400, 'A marketing template must say how to object: a quick-reply button or a footer with a stop keyword (for example „Keine Werbung mehr? Antworten Sie STOP.“).', { details: { field: 'footer' } })
      }
      let created
      try {
        created = await graph.createTemplate(account.businessAccountId, { name: t.name, language: t.language, category: t.category.toUpperCase(), components })
      } catch (err) {
        if (err instanceof GraphApiError && err.httpStatus === 400) throw new AppError('templates.rejected_by_meta', 422, `WhatsApp refused the template: ${graphDetail(err)}`, { details: { whatsapp: graphDetail(err) } })
        throw new AppError('templates.unavailable', 502, `WhatsApp could not be reached: ${graphDetail(err)}`, { cause: err })
      }
      catalog.invalidate()
      await audit(db, request, { action: 'template.created', target: `template:${t.name}/${t.language}`, detail: { category: t.category } })
      return reply.code(201).send({ id: String(created.id), name: t.name, language: t.language, status: created.status, category: created.category })
    },
  )

  app.delete(
    '/api/templates/:name',
    { config: { access: ADMIN }, schema: { tags, params: z.object({ name: z.string().regex(/^[a-z0-9_]{1,512}$/) }) } },
    async (request, reply) => {
      const { name } = request.params
      if (!(await catalog.list()).some((t) => t.name === name)) throw new AppError('templates.not_found', 404, `There is no template "${name}".`)
      try {
        await graph.deleteTemplate(account.businessAccountId, name)
      } catch (err) {
        throw new AppError('templates.unavailable', 502, `WhatsApp did not delete the template: ${graphDetail(err)}`, { cause: err })
      }
      catalog.invalidate()
      await audit(db, request, { action: 'template.deleted', target: `template:${name}` })
      return reply.code(204).send()
    },
  )
}
