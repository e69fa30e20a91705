import type { FastifyPluginAsync } from 'fastify'
import type { ContactDetails } from '../contacts/contact-details.js'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { conflict, notFound } from '../../platform/errors.js'
import { ADMIN } from '../../platform/http/access.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import { audit } from './audit.js'

const taskSchema = z.object({
  id: z.string(),
  kind: z.string(),
  contact: z.object({ id: z.string(), name: z.string().nullable(), waId: z.string().nullable() }),
  reason: z.string(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  note: z.string().nullable(),
})
const idParams = z.object({ id: z.string().max(64) })

/**
 * Lifting a restriction (Art. 18(3)): the person must be told first. Asking to lift creates a task
 * for the data-protection officer; the restriction ends only when the task is done, with how the
 * person was informed. Restrictions kept for a retention duty or a legal hold cannot be lifted here.
 */
export const privacyTaskRoutes: FastifyPluginAsync<{ db: Db; details: ContactDetails }> = async (base, { db, details }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['privacy']

  app.post(
    '/api/contacts/:id/restriction/lift',
    { config: { access: ADMIN }, schema: { tags, params: idParams, body: z.object({ reason: z.string().trim().min(10).max(2000) }), response: { 201: taskSchema } } },
    async (request, reply) => {
      const contact = await details.openRow(db, await db.selectFrom('contacts').select(['id', 'restricted_at', 'restriction_reason', 'name_override', 'profile_name', 'wa_id']).where('id', '=', request.params.id).executeTakeFirst())
      if (!contact) throw notFound('Contact')
      if (!contact.restricted_at) throw conflict('privacy.not_restricted', 'The person’s data is not restricted.')
      if (contact.restriction_reason !== 'request') throw conflict('privacy.restriction_required', 'This restriction keeps data for a retention duty or a legal hold; it ends with them, not by hand.', { restrictionReason: contact.restriction_reason })
      const open = await db.selectFrom('privacy_tasks').select('id').where('contact_id', '=', contact.id).where('completed_at', 'is', null).executeTakeFirst()
      if (open) throw conflict('privacy.task_open', 'The person is already to be informed before the restriction is lifted.', { taskId: open.id })
      const row = { id: newId(), contact_id: contact.id, kind: 'inform-before-lifting' as const, reason: request.body.reason, created_by: request.auth?.user?.id ?? null, created_at: nowIso(), completed_by: null, completed_at: null, note: null }
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('privacy_tasks').values(row).execute()
        await audit(tx, request, { action: 'contact.restriction_lift_requested', target: `contact:${contact.id}`, contactId: contact.id, detail: { task: row.id } })
      })
      return reply.code(201).send({ id: row.id, kind: row.kind, contact: { id: contact.id, name: contact.name_override ?? contact.profile_name, waId: contact.wa_id }, reason: row.reason, createdAt: row.created_at, completedAt: null, note: null })
    },
  )

  app.get('/api/privacy/tasks', { config: { access: ADMIN }, schema: { tags, querystring: z.object({ open: z.enum(['true', 'false']).default('true') }), response: { 200: z.object({ items: z.array(taskSchema) }) } } }, async (request) => {
    let q = db
      .selectFrom('privacy_tasks as t')
      .innerJoin('contacts as c', 'c.id', 't.contact_id')
      .select(['t.id', 't.kind', 't.reason', 't.created_at', 't.completed_at', 't.note', 'c.id as contact_id', 'c.name_override', 'c.profile_name', 'c.wa_id'])
      .orderBy('t.created_at')
    if (request.query.open === 'true') q = q.where('t.completed_at', 'is', null)
    const items = []
    for (const r of await details.openRows(db, await q.limit(500).execute(), (t) => t.contact_id)) {
      items.push({ id: r.id, kind: r.kind, contact: { id: r.contact_id, name: r.name_override ?? r.profile_name, waId: r.wa_id }, reason: r.reason, createdAt: r.created_at, completedAt: r.completed_at, note: r.note })
    }
    return { items }
  })

  app.post(
    '/api/privacy/tasks/:id/complete',
    { config: { access: ADMIN }, schema: { tags, params: idParams, body: z.object({ note: z.string().trim().min(10).max(2000).describe('how and when the person was informed') }) } },
    async (request, reply) => {
      const task = await db.selectFrom('privacy_tasks').selectAll().where('id', '=', request.params.id).executeTakeFirst()
      if (!task) throw notFound('Task')
      if (task.completed_at) throw conflict('privacy.task_done', 'The task is already done.')
      const now = nowIso()
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('privacy_tasks').set({ completed_at: now, completed_by: request.auth?.user?.id ?? null, note: request.body.note }).where('id', '=', task.id).execute()
        await tx.updateTable('contacts').set({ restricted_at: null, restriction_reason: null, updated_at: now }).where('id', '=', task.contact_id).where('restriction_reason', '=', 'request').execute()
        await audit(tx, request, { action: 'contact.restriction_lifted', target: `contact:${task.contact_id}`, contactId: task.contact_id, detail: { task: task.id } })
      })
      return reply.code(204).send()
    },
  )
}
