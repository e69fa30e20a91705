import type { FastifyPluginAsync } from 'fastify'
import type { Selectable } from 'kysely'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db, Executor } from '../../db/database.js'
import type { BreachesTable } from '../../db/schema.js'
import { AppError, conflict, notFound } from '../../platform/errors.js'
import { ADMIN } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import { audit } from './audit.js'
import { breachDueAt } from './deadlines.js'

type BreachRow = Selectable<BreachesTable>

const breachSchema = z.object({
  id: z.string(),
  title: z.string(),
  source: z.string(),
  awareAt: z.string(),
  dueAt: z.string().describe('aware + 72 hours (Art. 33(1))'),
  hoursLeft: z.number().nullable().describe('until the authority must be notified; null once notified or closed'),
  overdue: z.boolean(),
  nature: z.string(),
  categories: z.string(),
  subjectsApprox: z.number().int().nullable(),
  recordsApprox: z.number().int().nullable(),
  consequences: z.string(),
  measures: z.string(),
  contactPoint: z.string(),
  risk: z.enum(['unassessed', 'none', 'risk', 'high']),
  notifiedAuthorityAt: z.string().nullable(),
  lateReason: z.string().nullable(),
  notifiedSubjectsAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  updates: z.array(z.object({ text: z.string(), authorId: z.string().nullable(), createdAt: z.string() })),
})

// Art. 33(3) contents; every field can be filled in phases (Art. 33(4)).
const contents = z.object({
  nature: z.string().trim().max(5000),
  categories: z.string().trim().max(2000),
  subjectsApprox: z.number().int().min(0).max(1e9).nullable(),
  recordsApprox: z.number().int().min(0).max(1e12).nullable(),
  consequences: z.string().trim().max(5000),
  measures: z.string().trim().max(5000),
  contactPoint: z.string().trim().max(500),
  risk: z.enum(['unassessed', 'none', 'risk', 'high']),
})
const createBody = contents.partial().extend({ title: z.string().trim().min(3).max(200), awareAt: z.iso.datetime({ offset: true }).optional() })
const notifyBody = z.object({ at: z.iso.datetime({ offset: true }).optional(), lateReason: z.string().trim().min(10).max(2000).optional(), subjects: z.boolean().default(false) })
const idParams = z.object({ id: z.string().min(1).max(100) })

/**
 * Records a breach; used by people (the register) and by the archive's integrity check, which
 * opens a draft incident itself when verification fails (GDPR-33/34).
 */
export async function recordBreach(db: Executor, b: { title: string; source: string; awareAt?: string; nature?: string; createdBy?: string | null }): Promise<string> {
  const now = nowIso()
  const awareAt = b.awareAt ?? now
  const id = newId()
  await db.insertInto('breaches').values({ id, title: b.title, aware_at: awareAt, due_at: breachDueAt(awareAt), source: b.source, nature: b.nature ?? '', subjects_approx: null, records_approx: null, notified_authority_at: null, late_reason: null, notified_subjects_at: null, closed_at: null, created_by: b.createdBy ?? null, created_at: now, updated_at: now }).execute()
  return id
}

/** The breach register (Art. 33(5)): every incident documented, the 72 hours counted from awareness. */
export const breachRoutes: FastifyPluginAsync<{ db: Db }> = async (base, { db }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['privacy']
  const present = async (r: BreachRow) => {
    const updates = await db.selectFrom('breach_updates').selectAll().where('breach_id', '=', r.id).orderBy('created_at').execute()
    const pending = !r.notified_authority_at && !r.closed_at
    const hoursLeft = pending ? Math.round(((Date.parse(r.due_at) - Date.now()) / 3_600_000) * 10) / 10 : null
    return {
      id: r.id,
      title: r.title,
      source: r.source,
      awareAt: r.aware_at,
      dueAt: r.due_at,
      hoursLeft,
      overdue: hoursLeft !== null && hoursLeft < 0,
      nature: r.nature,
      categories: r.categories,
      subjectsApprox: r.subjects_approx,
      recordsApprox: r.records_approx,
      consequences: r.consequences,
      measures: r.measures,
      contactPoint: r.contact_point,
      risk: r.risk as z.infer<typeof contents>['risk'],
      notifiedAuthorityAt: r.notified_authority_at,
      lateReason: r.late_reason,
      notifiedSubjectsAt: r.notified_subjects_at,
      closedAt: r.closed_at,
      updates: updates.map((u) => ({ text: u.text, authorId: u.author_id, createdAt: u.created_at })),
    }
  }
  const load = async (id: string) => {
    const row = await db.selectFrom('breaches').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) throw notFound('Breach')
    return row
  }

  app.get('/api/privacy/breaches', { config: { access: ADMIN }, schema: { tags, response: { 200: listOf(breachSchema) } } }, async () => {
    const rows = await db.selectFrom('breaches').selectAll().orderBy('aware_at', 'desc').limit(500).execute()
    return { items: await Promise.all(rows.map(present)), nextCursor: null }
  })

  app.post('/api/privacy/breaches', { config: { access: ADMIN }, schema: { tags, body: createBody, response: { 201: breachSchema } } }, async (request, reply) => {
    const { title, awareAt, ...rest } = request.body
    const aware = awareAt ? new Date(awareAt).toISOString() : undefined
    if (aware && aware > nowIso()) throw new AppError('privacy.aware_in_future', 400, 'Awareness cannot lie in the future.', { details: { field: 'awareAt' } })
    const id = await db.transaction().execute(async (tx) => {
      const id = await recordBreach(tx, { title, source: 'manual', ...(aware ? { awareAt: aware } : {}), createdBy: request.auth?.user?.id ?? null })
      if (Object.keys(rest).length) await tx.updateTable('breaches').set(columnsOf(rest)).where('id', '=', id).execute()
      await audit(tx, request, { action: 'breach.recorded', target: `breach:${id}` })
      return id
    })
    return reply.code(201).send(await present(await load(id)))
  })

  app.patch('/api/privacy/breaches/:id', { config: { access: ADMIN }, schema: { tags, params: idParams, body: contents.partial().extend({ update: z.string().trim().min(3).max(5000).optional() }), response: { 200: breachSchema } } }, async (request) => {
    const r = await load(request.params.id)
    const { update, ...fields } = request.body
    await db.transaction().execute(async (tx) => {
      if (Object.keys(fields).length) await tx.updateTable('breaches').set(columnsOf(fields)).where('id', '=', r.id).execute()
      if (update) await tx.insertInto('breach_updates').values({ id: newId(), breach_id: r.id, text: update, author_id: request.auth?.user?.id ?? null, created_at: nowIso() }).execute()
      await audit(tx, request, { action: 'breach.updated', target: `breach:${r.id}`, detail: { fields: Object.keys(fields), phase: update !== undefined } })
    })
    return present(await load(r.id))
  })

  // Notified the authority (and, for a high risk, the people, Art. 34). Late notice needs reasons (Art. 33(1)).
  app.post('/api/privacy/breaches/:id/notified', { config: { access: ADMIN }, schema: { tags, params: idParams, body: notifyBody, response: { 200: breachSchema } } }, async (request) => {
    const r = await load(request.params.id)
    if (r.notified_authority_at) throw conflict('privacy.already_notified', 'The authority was already notified; add further information as an update.')
    const at = request.body.at ? new Date(request.body.at).toISOString() : nowIso()
    if (at > r.due_at && !request.body.lateReason) throw new AppError('privacy.late_reason_required', 400, 'The notification is later than 72 hours after awareness; Art. 33(1) requires the reasons for the delay.', { details: { field: 'lateReason' } })
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('breaches').set({ notified_authority_at: at, late_reason: request.body.lateReason ?? null, ...(request.body.subjects ? { notified_subjects_at: at } : {}), updated_at: nowIso() }).where('id', '=', r.id).execute()
      await audit(tx, request, { action: 'breach.notified', target: `breach:${r.id}`, detail: { late: at > r.due_at, subjects: request.body.subjects } })
    })
    return present(await load(r.id))
  })
}

function columnsOf(f: Partial<z.infer<typeof contents>>) {
  return {
    ...(f.nature !== undefined ? { nature: f.nature } : {}),
    ...(f.categories !== undefined ? { categories: f.categories } : {}),
    ...(f.subjectsApprox !== undefined ? { subjects_approx: f.subjectsApprox } : {}),
    ...(f.recordsApprox !== undefined ? { records_approx: f.recordsApprox } : {}),
    ...(f.consequences !== undefined ? { consequences: f.consequences } : {}),
    ...(f.measures !== undefined ? { measures: f.measures } : {}),
    ...(f.contactPoint !== undefined ? { contact_point: f.contactPoint } : {}),
    ...(f.risk !== undefined ? { risk: f.risk } : {}),
    updated_at: nowIso(),
  }
}
