import type { FastifyPluginAsync } from 'fastify'
import type { Selectable } from 'kysely'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db, Executor } from '../../db/database.js'
import type { DsrRequestsTable } from '../../db/schema.js'
import { AppError, conflict, notFound } from '../../platform/errors.js'
import { ADMIN } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import type { ContactDetails } from '../contacts/contact-details.js'
import type { Integrations } from '../integrations/integrations.js'
import { audit } from './audit.js'
import { restrictOnRequest } from './restriction.js'
import { addMonths, daysUntil, dsrDueDate, dsrLatestExtension, localDate } from './deadlines.js'

const KINDS = ['access', 'portability', 'rectification', 'erasure', 'restriction', 'objection'] as const
const CHANNELS = ['whatsapp', 'email', 'letter', 'phone', 'web', 'in_person'] as const

const dsrSchema = z.object({
  id: z.string(),
  contactId: z.string().nullable(),
  kind: z.enum(KINDS),
  channel: z.string(),
  receivedAt: z.string(),
  dueDate: z.string().describe('the date the answer is due (YYYY-MM-DD, company time zone), after any extension'),
  originalDueDate: z.string(),
  extensionReason: z.string().nullable(),
  identityVerifiedAt: z.string().nullable(),
  status: z.enum(['open', 'completed', 'refused']),
  daysLeft: z.number().int().nullable().describe('null once closed; negative when overdue'),
  overdue: z.boolean(),
  outcome: z.string().nullable(),
  closedAt: z.string().nullable(),
  note: z.string().nullable(),
  contact: z.object({ name: z.string().nullable(), waId: z.string().nullable() }).nullable().describe('the person the request names, as far as Postfach still knows them (null once erased)'),
})
type DsrRow = Selectable<DsrRequestsTable>
type Person = { name: string | null; waId: string | null }

function present(r: DsrRow, today: string, contact: Person | null = null) {
  const due = r.extended_due_at ?? r.due_at
  const open = r.status === 'open'
  const daysLeft = open ? daysUntil(due, today) : null
  return {
    id: r.id,
    contactId: r.contact_id,
    kind: r.kind,
    channel: r.channel,
    receivedAt: r.received_at,
    dueDate: due,
    originalDueDate: r.due_at,
    extensionReason: r.extension_reason,
    identityVerifiedAt: r.identity_verified_at,
    status: r.status,
    daysLeft,
    overdue: daysLeft !== null && daysLeft < 0,
    outcome: r.outcome,
    closedAt: r.closed_at,
    note: r.note,
    contact,
  }
}

const createBody = z.object({
  kind: z.enum(KINDS),
  channel: z.enum(CHANNELS),
  contactId: z.string().min(1).max(100).nullable().optional(),
  receivedAt: z.iso.datetime({ offset: true }).optional().describe('when the request reached the company (default: now); the deadline runs from here'),
  note: z.string().trim().max(2000).optional(),
})
const extendBody = z.object({
  months: z.union([z.literal(1), z.literal(2)]),
  reason: z.string().trim().min(10, 'the person must be told why (Art. 12(3))').max(2000),
})
const closeBody = z.object({ outcome: z.string().trim().min(10).max(5000) })
const idParams = z.object({ id: z.string().min(1).max(100) })

/**
 * Data-subject requests (Art. 15–22) with their deadlines: logged on receipt, due one month later
 * (Art. 12(3)), extendable by up to two months only with a reason and only before the first month
 * is over, closed with what the person was told. Admins handle them; every step is audited.
 */
export const dsrRoutes: FastifyPluginAsync<{ db: Db; integrations: Integrations; details: ContactDetails }> = async (base, { db, integrations, details }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['privacy']
  const load = async (id: string) => {
    const row = await db.selectFrom('dsr_requests').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) throw notFound('Request')
    return row
  }
  const today = () => localDate(nowIso())
  /*
   * The note and the extension's reason are free text about the person ("wrote from erika@…"),
   * so they are sealed under their data key when the request names a contact: their erasure
   * leaves the register's dates and answer, and no note to read.
   */
  const seal = (tx: Executor, r: Pick<DsrRow, 'contact_id'>, text: string | null) => (text && r.contact_id ? details.seal(tx, r.contact_id, text, 'request-note') : text)
  const open = (r: Pick<DsrRow, 'contact_id'>, text: string | null) => (text && r.contact_id ? details.open(db, r.contact_id, text, 'request-note') : text)
  /** The people requests name, opened; an erased person is no longer known (null). */
  const peopleOf = async (rows: DsrRow[]): Promise<Map<string, Person>> => {
    const ids = [...new Set(rows.flatMap((r) => (r.contact_id ? [r.contact_id] : [])))]
    const contacts = ids.length ? await details.openRows(db, await db.selectFrom('contacts').select(['id', 'profile_name', 'name_override', 'wa_id']).where('id', 'in', ids).where('erased_at', 'is', null).execute()) : []
    return new Map(contacts.map((c) => [c.id, { name: c.name_override ?? c.profile_name, waId: c.wa_id }]))
  }
  /** Requests as shown: their free text opened, with the person they name. */
  const shownAll = async (rows: DsrRow[]) => {
    const people = await peopleOf(rows)
    const out: ReturnType<typeof present>[] = []
    for (const r of rows) out.push(present({ ...r, note: await open(r, r.note), extension_reason: await open(r, r.extension_reason) }, today(), (r.contact_id && people.get(r.contact_id)) || null))
    return out
  }
  const shown = async (r: DsrRow) => (await shownAll([r]))[0]!

  app.get(
    '/api/privacy/requests',
    { config: { access: ADMIN }, schema: { tags, querystring: z.object({ status: z.enum(['open', 'completed', 'refused', 'all']).default('open') }), response: { 200: listOf(dsrSchema).extend({ overdue: z.number().int() }) } } },
    async (request) => {
      let q = db.selectFrom('dsr_requests').selectAll()
      if (request.query.status !== 'all') q = q.where('status', '=', request.query.status)
      const rows = await q.orderBy('due_at').orderBy('received_at').limit(500).execute()
      const items = (await shownAll(rows)).sort((a, b) => a.dueDate.localeCompare(b.dueDate))
      return { items, nextCursor: null, overdue: items.filter((i) => i.overdue).length }
    },
  )

  app.get('/api/privacy/requests/:id', { config: { access: ADMIN }, schema: { tags, params: idParams, response: { 200: dsrSchema } } }, async (request) => shown(await load(request.params.id)))

  app.post('/api/privacy/requests', { config: { access: ADMIN }, schema: { tags, body: createBody, response: { 201: dsrSchema } } }, async (request, reply) => {
    const { kind, channel, contactId, note } = request.body
    const now = nowIso()
    const receivedAt = request.body.receivedAt ? new Date(request.body.receivedAt).toISOString() : now
    if (receivedAt > now) throw new AppError('privacy.received_in_future', 400, 'A request cannot be received in the future.', { details: { field: 'receivedAt' } })
    if (contactId && !(await db.selectFrom('contacts').select('id').where('id', '=', contactId).executeTakeFirst())) throw notFound('Contact')
    const row: DsrRow = {
      id: newId(),
      contact_id: contactId ?? null,
      kind,
      channel,
      received_at: receivedAt,
      due_at: dsrDueDate(receivedAt),
      extended_due_at: null,
      extension_reason: null,
      identity_verified_at: null,
      status: 'open',
      outcome: null,
      closed_at: null,
      note: note ?? null,
      created_by: request.auth?.user?.id ?? null,
      created_at: now,
      updated_at: now,
    }
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('dsr_requests').values({ ...row, note: await seal(tx, row, row.note) }).execute()
      await audit(tx, request, { action: 'dsr.created', target: `dsr:${row.id}`, contactId: row.contact_id, detail: { kind, channel, dueDate: row.due_at } })
    })
    return reply.code(201).send(await shown(await load(row.id)))
  })

  app.post('/api/privacy/requests/:id/extend', { config: { access: ADMIN }, schema: { tags, params: idParams, body: extendBody, response: { 200: dsrSchema } } }, async (request) => {
    const r = await load(request.params.id)
    if (r.status !== 'open') throw conflict('privacy.request_closed', 'The request is already closed.')
    if (r.extended_due_at) throw conflict('privacy.already_extended', 'The deadline was already extended; Art. 12(3) allows one extension of up to two months.')
    // The person must be told of the extension within the first month: an overdue request cannot be extended.
    if (daysUntil(r.due_at, today()) < 0) throw conflict('privacy.extension_too_late', 'The first month is over; an extension had to be announced before the original deadline.')
    const extended = addMonths(r.due_at, request.body.months)
    const latest = dsrLatestExtension(r.received_at)
    const due = extended > latest ? latest : extended
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('dsr_requests').set({ extended_due_at: due, extension_reason: await seal(tx, r, request.body.reason), updated_at: nowIso() }).where('id', '=', r.id).execute()
      await audit(tx, request, { action: 'dsr.extended', target: `dsr:${r.id}`, contactId: r.contact_id, detail: { months: request.body.months, dueDate: due } })
    })
    return shown(await load(r.id))
  })

  app.post('/api/privacy/requests/:id/verify-identity', { config: { access: ADMIN }, schema: { tags, params: idParams, response: { 200: dsrSchema } } }, async (request) => {
    const r = await load(request.params.id)
    if (r.status !== 'open') throw conflict('privacy.request_closed', 'The request is already closed.')
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('dsr_requests').set({ identity_verified_at: r.identity_verified_at ?? nowIso(), updated_at: nowIso() }).where('id', '=', r.id).execute()
      await audit(tx, request, { action: 'dsr.identity_verified', target: `dsr:${r.id}`, contactId: r.contact_id })
    })
    return shown(await load(r.id))
  })

  for (const [verb, status, action] of [['complete', 'completed', 'dsr.completed'], ['refuse', 'refused', 'dsr.refused']] as const) {
    app.post(`/api/privacy/requests/:id/${verb}`, { config: { access: ADMIN }, schema: { tags, params: idParams, body: closeBody, response: { 200: dsrSchema } } }, async (request) => {
      const r = await load(request.params.id)
      if (r.status !== 'open') throw conflict('privacy.request_closed', 'The request is already closed.')
      if (status === 'completed' && !r.identity_verified_at && r.kind !== 'objection') {
        throw conflict('privacy.identity_unverified', "Verify the requester's identity before answering; an objection to marketing needs no verification.")
      }
      const now = nowIso()
      if (status === 'completed' && r.kind === 'restriction' && !r.contact_id) throw conflict('privacy.no_contact', 'Link the request to a contact first.')
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('dsr_requests').set({ status, outcome: request.body.outcome, closed_at: now, updated_at: now }).where('id', '=', r.id).execute()
        await audit(tx, request, { action, target: `dsr:${r.id}`, contactId: r.contact_id, detail: { kind: r.kind, late: daysUntil(r.extended_due_at ?? r.due_at, localDate(now)) < 0 } })
        // Art. 18: granting a restriction stops every use but storage at once.
        if (status === 'completed' && r.kind === 'restriction' && r.contact_id) await restrictOnRequest(tx, { integrations, details }, r.contact_id, now)
      })
      return shown(await load(r.id))
    })
  }
}
