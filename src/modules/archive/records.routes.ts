import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db, Executor } from '../../db/database.js'
import type { RetentionClass, Role } from '../../db/schema.js'
import { AppError, badRequest, notFound } from '../../platform/errors.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import { appendEntries } from '../journal/journal.repo.js'
import { audit } from '../privacy/audit.js'
import { classOf } from '../privacy/erasure.js'
import { readRetention, RETENTION_CLASSES, retainedUntil, retentionYears } from '../privacy/retention-settings.js'
import { type ProcedureFacts, procedureDocument, procedureHtml } from './procedure-doc.js'
import { procedurePdf } from './procedure-pdf.js'
import { releasesIndex } from './releases.js'
import { type ContactDetails, SEALED_PREFIX } from '../contacts/contact-details.js'

const ARCHIVE_READERS: readonly Role[] = ['admin', 'auditor']
const idParams = z.object({ id: z.string().min(1).max(100) })
const classifyBody = z.object({ class: z.enum(RETENTION_CLASSES), reason: z.string().trim().min(5).max(1000) })
const holdBody = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('contact'), contactId: z.string().min(1).max(100), reason: z.string().trim().min(5).max(1000) }),
  z.object({ scope: z.literal('conversation'), conversationId: z.string().min(1).max(100), reason: z.string().trim().min(5).max(1000) }),
  z.object({ scope: z.literal('period'), from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }), reason: z.string().trim().min(5).max(1000) }),
])
const holdSchema = z.object({
  id: z.string(),
  scope: z.enum(['contact', 'conversation', 'period']),
  contactId: z.string().nullable(),
  conversationId: z.string().nullable(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  reason: z.string(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  releasedAt: z.string().nullable(),
  releasedBy: z.string().nullable(),
  releaseReason: z.string().nullable(),
})
const stepSchema = z.object({
  step: z.string(),
  at: z.string(),
  actor: z.object({ kind: z.enum(['customer', 'user', 'system', 'meta']), id: z.string().nullable() }),
  journalSeq: z.number().nullable(),
  leafIndex: z.number().nullable(),
  version: z.string(),
  detail: z.record(z.string(), z.unknown()).optional(),
})

const userOf = (request: FastifyRequest) => request.auth?.user?.id ?? null

/** Journal entries of record-keeping decisions: ids and classes, never content (they become log leaves). */
const journalDecision = (tx: Executor, kind: 'archive.classification' | 'archive.hold', body: Record<string, unknown>) => appendEntries(tx, kind, [Buffer.from(JSON.stringify({ ...body, at: nowIso() }))])

/**
 * The record-keeping side of the archive: classification of conversations and messages (GOBD-11,
 * every change kept with its reason), legal holds that stop deletion (GOBD-10), and the
 * lifecycle of a message from receipt to its last status (GOBD-1).
 */
export const archiveRecordRoutes: FastifyPluginAsync<{ db: Db; facts: ProcedureFacts; details: ContactDetails }> = async (base, { db, facts, details }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['archive']

  // A reason often names the customer ("Frau Z. wants only offers"): sealed under their data key (see contacts/free-text).
  // Once an erasure has removed the conversation, its history stays (append-only) and a sealed reason reads as none.
  const openReason = async (contactId: string | null, reason: string) => (contactId ? await details.open(db, contactId, reason, 'classification-reason') : reason.startsWith(SEALED_PREFIX) ? null : reason) ?? ''
  const classify = async (request: FastifyRequest, target: { conversationId: string; contactId: string; messageId: string | null; previous: RetentionClass | null }, cls: RetentionClass, reason: string) => {
    const by = userOf(request)
    await db.transaction().execute(async (tx) => {
      if (target.messageId) await tx.updateTable('messages').set({ retention_class: cls, updated_at: nowIso() }).where('id', '=', target.messageId).execute()
      else await tx.updateTable('conversations').set({ retention_class: cls, updated_at: nowIso() }).where('id', '=', target.conversationId).execute()
      const id = newId()
      const sealedReason = (await details.seal(tx, target.contactId, reason, 'classification-reason'))!
      await tx.insertInto('archive_classifications').values({ id, conversation_id: target.conversationId, message_id: target.messageId, previous_class: target.previous, class: cls, reason: sealedReason, actor_id: by, created_at: nowIso() }).execute()
      await journalDecision(tx, 'archive.classification', { classification: id, conversation: target.conversationId, message: target.messageId, from: target.previous, to: cls, actor: by })
      await audit(tx, request, { action: 'archive.classified', target: target.messageId ? `message:${target.messageId}` : `conversation:${target.conversationId}`, detail: { from: target.previous, to: cls } })
    })
  }

  app.put('/api/conversations/:id/classification', { config: { access: STAFF }, schema: { tags, summary: 'Reclassify a conversation for retention, with a reason', params: idParams, body: classifyBody } }, async (request, reply) => {
    const c = await db.selectFrom('conversations').select(['id', 'contact_id', 'retention_class']).where('id', '=', request.params.id).executeTakeFirst()
    if (!c) throw notFound('Conversation')
    await classify(request, { conversationId: c.id, contactId: c.contact_id, messageId: null, previous: c.retention_class }, request.body.class, request.body.reason)
    return reply.code(204).send()
  })

  app.put('/api/messages/:id/classification', { config: { access: STAFF }, schema: { tags, summary: 'Reclassify one message for retention, with a reason', params: idParams, body: classifyBody } }, async (request, reply) => {
    const m = await db.selectFrom('messages').innerJoin('conversations', 'conversations.id', 'messages.conversation_id').select(['messages.id', 'messages.conversation_id', 'conversations.contact_id', 'messages.retention_class']).where('messages.id', '=', request.params.id).executeTakeFirst()
    if (!m) throw notFound('Message')
    await classify(request, { conversationId: m.conversation_id, contactId: m.contact_id, messageId: m.id, previous: m.retention_class }, request.body.class, request.body.reason)
    return reply.code(204).send()
  })

  app.get(
    '/api/conversations/:id/classifications',
    {
      config: { access: [...STAFF, 'auditor'] },
      schema: {
        tags,
        summary: 'The classification history of a conversation and its messages',
        params: idParams,
        response: { 200: z.object({ items: z.array(z.object({ id: z.string(), messageId: z.string().nullable(), previousClass: z.string().nullable(), class: z.string(), reason: z.string(), actorId: z.string().nullable(), createdAt: z.string() })) }) },
      },
    },
    async (request) => {
      const rows = await db.selectFrom('archive_classifications').leftJoin('conversations', 'conversations.id', 'archive_classifications.conversation_id').selectAll('archive_classifications').select('conversations.contact_id').where('conversation_id', '=', request.params.id).orderBy('archive_classifications.created_at').orderBy('archive_classifications.id').execute()
      const items = []
      for (const r of rows) items.push({ id: r.id, messageId: r.message_id, previousClass: r.previous_class, class: r.class, reason: await openReason(r.contact_id, r.reason), actorId: r.actor_id, createdAt: r.created_at })
      return { items }
    },
  )

  const presentHold = (h: Awaited<ReturnType<typeof loadHold>>) => ({
    id: h.id,
    scope: h.scope,
    contactId: h.contact_id,
    conversationId: h.conversation_id,
    from: h.period_from,
    to: h.period_to,
    reason: h.reason,
    createdBy: h.created_by,
    createdAt: h.created_at,
    releasedAt: h.released_at,
    releasedBy: h.released_by,
    releaseReason: h.release_reason,
  })
  const loadHold = async (id: string) => {
    const h = await db.selectFrom('legal_holds').selectAll().where('id', '=', id).executeTakeFirst()
    if (!h) throw notFound('Legal hold')
    return h
  }

  app.post('/api/archive/holds', { config: { access: ADMIN }, schema: { tags, summary: 'Place a legal hold (nothing it covers is deleted until released)', body: holdBody, response: { 201: holdSchema } } }, async (request, reply) => {
    const b = request.body
    if (b.scope === 'contact' && !(await db.selectFrom('contacts').select('id').where('id', '=', b.contactId).executeTakeFirst())) throw notFound('Contact')
    if (b.scope === 'conversation' && !(await db.selectFrom('conversations').select('id').where('id', '=', b.conversationId).executeTakeFirst())) throw notFound('Conversation')
    if (b.scope === 'period' && Date.parse(b.from) > Date.parse(b.to)) throw badRequest('from must not be after to.')
    const id = newId()
    const row = {
      id,
      scope: b.scope,
      contact_id: b.scope === 'contact' ? b.contactId : null,
      conversation_id: b.scope === 'conversation' ? b.conversationId : null,
      period_from: b.scope === 'period' ? new Date(b.from).toISOString() : null,
      period_to: b.scope === 'period' ? new Date(b.to).toISOString() : null,
      reason: b.reason,
      created_by: userOf(request),
      created_at: nowIso(),
      released_at: null,
      released_by: null,
      release_reason: null,
    }
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('legal_holds').values(row).execute()
      await journalDecision(tx, 'archive.hold', { hold: id, action: 'set', scope: row.scope, contact: row.contact_id, conversation: row.conversation_id, from: row.period_from, to: row.period_to, actor: row.created_by })
      await audit(tx, request, { action: 'archive.hold_set', target: `hold:${id}`, contactId: row.contact_id, detail: { scope: row.scope } })
    })
    return reply.code(201).send(presentHold(row))
  })

  app.get('/api/archive/holds', { config: { access: ARCHIVE_READERS }, schema: { tags, summary: 'Legal holds, active first', querystring: z.object({ active: z.enum(['0', '1']).optional() }), response: { 200: z.object({ items: z.array(holdSchema) }) } } }, async (request) => {
    let q = db.selectFrom('legal_holds').selectAll().orderBy('created_at', 'desc')
    if (request.query.active === '1') q = q.where('released_at', 'is', null)
    if (request.query.active === '0') q = q.where('released_at', 'is not', null)
    return { items: (await q.execute()).map(presentHold) }
  })

  app.post('/api/archive/holds/:id/release', { config: { access: ADMIN }, schema: { tags, summary: 'Release a legal hold, with a reason', params: idParams, body: z.object({ reason: z.string().trim().min(5).max(1000) }), response: { 200: holdSchema } } }, async (request) => {
    const h = await loadHold(request.params.id)
    if (h.released_at) throw new AppError('archive.hold_released', 409, 'This hold was released already.')
    const now = nowIso()
    const by = userOf(request)
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('legal_holds').set({ released_at: now, released_by: by, release_reason: request.body.reason }).where('id', '=', h.id).where('released_at', 'is', null).execute()
      await journalDecision(tx, 'archive.hold', { hold: h.id, action: 'released', actor: by })
      await audit(tx, request, { action: 'archive.hold_released', target: `hold:${h.id}`, contactId: h.contact_id, detail: { scope: h.scope } })
    })
    return presentHold(await loadHold(h.id))
  })

  app.get(
    '/api/archive/procedure',
    { config: { access: ARCHIVE_READERS }, schema: { tags, summary: 'The Verfahrensdokumentation, generated from the running system (GOBD-12)', querystring: z.object({ format: z.enum(['html', 'json', 'pdf']).default('html') }) } },
    async (request, reply) => {
      const doc = await procedureDocument(db, facts)
      if (request.query.format === 'json') return doc
      if (request.query.format === 'pdf') return reply.type('application/pdf').header('content-disposition', `inline; filename="verfahrensdokumentation-${doc.version}.pdf"`).send(await procedurePdf(doc))
      return reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(procedureHtml(doc))
    },
  )

  app.get(
    '/api/archive/messages/:id/lifecycle',
    {
      config: { access: ARCHIVE_READERS },
      schema: {
        tags,
        summary: 'Everything that happened to a message, each step with actor, time, log entry and the software version that wrote it (GOBD-1)',
        params: idParams,
        response: {
          200: z.object({
            message: z.object({ id: z.string(), wamid: z.string().nullable(), conversationId: z.string(), contactId: z.string(), direction: z.string(), type: z.string(), status: z.string(), timestamp: z.string(), class: z.enum(RETENTION_CLASSES), retainUntil: z.string().nullable() }),
            steps: z.array(stepSchema),
          }),
        },
      },
    },
    async (request) => {
      const m = await db.selectFrom('messages').innerJoin('conversations', 'conversations.id', 'messages.conversation_id').select(['messages.id', 'messages.wamid', 'messages.conversation_id', 'conversations.contact_id', 'conversations.retention_class as conversation_class', 'messages.direction', 'messages.type', 'messages.status', 'messages.timestamp', 'messages.retention_class', 'messages.purpose', 'messages.sent_by', 'messages.journal_seq', 'messages.created_at']).where('messages.id', '=', request.params.id).executeTakeFirst()
      if (!m) throw notFound('Message')
      const retention = await readRetention(db)
      const cls = classOf(m, m.conversation_class, retention.defaultClass)
      const years = retentionYears(retention, cls)
      const versionOf = await releasesIndex(db)
      const statuses = m.wamid ? await db.selectFrom('message_statuses').selectAll().where('wamid', '=', m.wamid).execute() : []
      const seqs = [m.journal_seq, ...statuses.map((s) => s.journal_seq)].filter((s): s is number => s !== null).map(Number)
      const entries = seqs.length ? await db.selectFrom('journal').leftJoin('archive_leaves', 'archive_leaves.journal_seq', 'journal.seq').select(['journal.seq', 'journal.received_at', 'archive_leaves.idx']).where('journal.seq', 'in', seqs).execute() : []
      const entryOf = new Map(entries.map((e) => [Number(e.seq), { at: e.received_at, leafIndex: e.idx === null ? null : Number(e.idx) }]))
      const classifications = await db.selectFrom('archive_classifications').selectAll().where('conversation_id', '=', m.conversation_id).where((eb) => eb.or([eb('message_id', 'is', null), eb('message_id', '=', m.id)])).execute()

      type Step = z.infer<typeof stepSchema>
      const step = (s: Omit<Step, 'version' | 'leafIndex'> & { leafIndex?: number | null }): Step => ({ ...s, leafIndex: s.leafIndex ?? (s.journalSeq !== null ? (entryOf.get(s.journalSeq)?.leafIndex ?? null) : null), version: versionOf({ journalSeq: s.journalSeq, at: s.at }) })
      const own = m.journal_seq === null ? undefined : entryOf.get(Number(m.journal_seq))
      const steps: Step[] = []
      if (m.direction === 'inbound') {
        steps.push(step({ step: 'received', at: own?.at ?? m.created_at, actor: { kind: 'customer', id: m.contact_id }, journalSeq: m.journal_seq === null ? null : Number(m.journal_seq), detail: { sentAt: m.timestamp } }))
        steps.push(step({ step: 'stored', at: m.created_at, actor: { kind: 'system', id: null }, journalSeq: null }))
      } else {
        steps.push(step({ step: 'queued', at: m.created_at, actor: { kind: m.sent_by ? 'user' : 'system', id: m.sent_by }, journalSeq: null }))
        if (own) steps.push(step({ step: 'accepted', at: own.at, actor: { kind: 'meta', id: null }, journalSeq: Number(m.journal_seq) }))
      }
      // A status is placed when Postfach recorded it; Meta's own time (whole seconds) goes along.
      for (const s of statuses) {
        const recorded = entryOf.get(Number(s.journal_seq))?.at ?? s.occurred_at
        steps.push(step({ step: s.status, at: recorded, actor: { kind: 'meta', id: null }, journalSeq: Number(s.journal_seq), detail: { occurredAt: s.occurred_at, ...(s.errors ? { errors: JSON.parse(s.errors) as unknown } : {}) } }))
      }
      for (const c of classifications) steps.push(step({ step: 'classified', at: c.created_at, actor: { kind: c.actor_id ? 'user' : 'system', id: c.actor_id }, journalSeq: null, detail: { from: c.previous_class, to: c.class, reason: await openReason(m.contact_id, c.reason), scope: c.message_id ? 'message' : 'conversation' } }))
      const ORDER = ['received', 'stored', 'queued', 'accepted', 'sent', 'delivered', 'read', 'failed', 'classified']
      steps.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : ORDER.indexOf(a.step) - ORDER.indexOf(b.step)))
      await audit(db, request, { action: 'archive.searched', target: `message:${m.id}`, contactId: m.contact_id, detail: { view: 'lifecycle' } })
      return {
        message: { id: m.id, wamid: m.wamid, conversationId: m.conversation_id, contactId: m.contact_id, direction: m.direction, type: m.type, status: m.status, timestamp: m.timestamp, class: cls, retainUntil: years ? retainedUntil(m.timestamp, years) : null },
        steps,
      }
    },
  )
}
