import type { FastifyPluginAsync } from 'fastify'
import type { MessageVault } from '../inbox/message-vault.js'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import type { ConsentEventRow } from '../../db/schema.js'
import { AppError, conflict, notFound } from '../../platform/errors.js'
import { ADMIN, ALL_ROLES, STAFF } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import { nowIso } from '../../platform/time.js'
import { appendConsentEvents, listPurposes } from './consent.repo.js'
import type { ConsentService } from './consent.service.js'
import { getSetting, putSetting } from '../settings/settings.repo.js'
import { normalizeKeyword } from './keywords.js'
import { renderEvidence } from './evidence-page.js'
import { basesOf } from './existing-customer.js'
import { audit } from '../privacy/audit.js'

const idParams = z.object({ id: z.string().min(1).max(100) })
const eventSchema = z.object({
  id: z.string(),
  kind: z.enum(['requested', 'confirmed', 'withdrawn', 'objected']),
  channel: z.string(),
  text: z.string().nullable(),
  textSha256: z.string().nullable(),
  noticeVersion: z.string().nullable(),
  source: z.record(z.string(), z.unknown()),
  evidence: z.record(z.string(), z.unknown()),
  occurredAt: z.string(),
  recordedAt: z.string(),
  recordedBy: z.string().nullable(),
  expiresAt: z.string().nullable(),
})
const consentSchema = z.object({
  purpose: z.string(),
  label: z.object({ de: z.string(), en: z.string() }),
  state: z.enum(['none', 'pending', 'confirmed', 'withdrawn', 'objected']),
  events: z.array(eventSchema),
  /** The newest existing-customer basis (§ 7(3) UWG) for the purpose, and whether it still holds. */
  existingCustomer: z.object({ saleReference: z.string(), soldAt: z.string(), recordedAt: z.string(), active: z.boolean() }).nullable(),
})
const contactSchema = z.object({ id: z.string(), waId: z.string().nullable(), userId: z.string().nullable(), name: z.string().nullable(), firstContactAt: z.string(), lastContactAt: z.string() })
/** What an agent may record: a withdrawal or objection the customer stated elsewhere (phone, letter). */
const recordBody = z.object({
  purpose: z.string().max(40).optional().describe('omit for every purpose'),
  kind: z.enum(['withdrawn', 'objected']),
  reason: z.string().trim().min(3).max(500),
})

const presentEvent = (e: ConsentEventRow) => ({
  id: e.id,
  kind: e.kind,
  channel: e.channel,
  text: e.text,
  textSha256: e.text_sha256,
  noticeVersion: e.notice_version,
  source: JSON.parse(e.source) as Record<string, unknown>,
  evidence: JSON.parse(e.evidence) as Record<string, unknown>,
  occurredAt: e.occurred_at,
  recordedAt: e.recorded_at,
  recordedBy: e.recorded_by,
  expiresAt: e.expires_at,
})

/**
 * Contacts by number and their consent ledger. Agents can record a withdrawal or objection (never a
 * consent: that comes from the customer's own number or the double opt-in).
 */
export const consentRoutes: FastifyPluginAsync<{ db: Db; consent: ConsentService; vault: MessageVault; onChanged: (conversationId: string) => void }> = async (base, { db, consent, vault, onChanged }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['consent']

  app.get('/api/contacts', { config: { access: STAFF }, schema: { tags, querystring: z.object({ waId: z.string().regex(/^\d{5,20}$/) }), response: { 200: listOf(contactSchema) } } }, async (request) => {
    const rows = await vault.details.openRows(db, await db.selectFrom('contacts').selectAll().where('wa_key', '=', vault.details.lookupKey('wa', request.query.waId)).execute())
    return {
      items: rows.map((c) => ({ id: c.id, waId: c.wa_id, userId: c.user_id, name: c.name_override ?? c.profile_name, firstContactAt: c.first_contact_at, lastContactAt: c.last_contact_at })),
      nextCursor: null,
    }
  })

  app.get('/api/consent/purposes', { config: { access: STAFF }, schema: { tags, response: { 200: listOf(z.object({ key: z.string(), label: z.object({ de: z.string(), en: z.string() }) })) } } }, async () => ({
    items: (await listPurposes(db)).map((p) => ({ key: p.key, label: { de: p.label_de, en: p.label_en } })),
    nextCursor: null,
  }))

  // Purposes are configurable (marketing by topic, review requests …); a purpose is never deleted,
  // because consents given for it must stay provable.
  app.post(
    '/api/consent/purposes',
    { config: { access: ADMIN }, schema: { tags, body: z.object({ key: z.string().regex(/^[a-z][a-z0-9_-]{1,39}$/, 'lower-case letters, digits, - and _'), label: z.object({ de: z.string().trim().min(2).max(100), en: z.string().trim().min(2).max(100) }) }), response: { 201: z.object({ key: z.string(), label: z.object({ de: z.string(), en: z.string() }) }) } } },
    async (request, reply) => {
      const { key, label } = request.body
      if (await db.selectFrom('consent_purposes').select('key').where('key', '=', key).executeTakeFirst()) throw conflict('consent.purpose_exists', `The purpose "${key}" exists already.`)
      await db.insertInto('consent_purposes').values({ key, label_de: label.de, label_en: label.en, created_at: nowIso() }).execute()
      return reply.code(201).send({ key, label })
    },
  )

  const keywordList = z.array(z.string().trim().min(1).max(30)).min(1).max(20)
  const keywordsSchema = z.object({ stop: keywordList, start: keywordList, confirm: keywordList })
  app.get('/api/consent/keywords', { config: { access: STAFF }, schema: { tags, response: { 200: keywordsSchema } } }, async () => consent.keywords.current)
  app.put('/api/consent/keywords', { config: { access: ADMIN }, schema: { tags, body: keywordsSchema, response: { 200: keywordsSchema } } }, async (request) => {
    // Each word once (by its normalised form), as written; no word in two lists.
    const lists = Object.entries(request.body).map(([name, words]) => [name, new Map(words.map((w) => [normalizeKeyword(w), w.trim()] as const).filter(([n]) => n))] as const)
    for (const [name, words] of lists) {
      if (words.size === 0) throw new AppError('consent.keywords_empty', 400, `The ${name} list has no usable word.`, { details: { field: name } })
      for (const [other, otherWords] of lists) {
        const shared = name < other ? [...words.keys()].filter((w) => otherWords.has(w)) : []
        if (shared.length) throw new AppError('consent.keywords_ambiguous', 400, `"${shared[0]}" cannot be both a ${name} and a ${other} keyword.`, { details: { field: name } })
      }
    }
    const normalized = Object.fromEntries(lists.map(([name, words]) => [name, [...words.values()]])) as z.infer<typeof keywordsSchema>
    await putSetting(db, 'consent.keywords', normalized, request.auth?.user?.id ?? null)
    consent.keywords.configure(normalized)
    return consent.keywords.current
  })

  app.get('/api/contacts/:id/consents', { config: { access: STAFF }, schema: { tags, params: idParams, response: { 200: listOf(consentSchema) } } }, async (request) => {
    const contact = await vault.details.openRow(db, await db.selectFrom('contacts').select(['id', 'wa_id']).where('id', '=', request.params.id).executeTakeFirst())
    if (!contact) throw notFound('Contact')
    const overview = await consent.overview(db, contact.id)
    const bases = await basesOf(db, contact.id, contact.wa_id ? await consent.suppressions.since(db, contact.wa_id) : undefined)
    const basisOf = (purpose: string) => {
      const b = bases.find((x) => x.purpose === purpose)
      return b ? { saleReference: b.saleReference, soldAt: b.soldAt, recordedAt: b.recordedAt, active: b.active } : null
    }
    return {
      items: overview.map((o) => ({ purpose: o.purpose.key, label: { de: o.purpose.label_de, en: o.purpose.label_en }, state: o.state, events: o.events.map(presentEvent), existingCustomer: basisOf(o.purpose.key) })),
      nextCursor: null,
    }
  })

  // Printable evidence (GDPR-7, UWG-DOI): every event with wording, hash, notice version and the raw confirming message.
  app.get('/api/contacts/:id/consents/evidence', { config: { access: ALL_ROLES }, schema: { tags, params: idParams } }, async (request, reply) => {
    const contact = await vault.details.openRow(db, await db.selectFrom('contacts').selectAll().where('id', '=', request.params.id).executeTakeFirst())
    if (!contact) throw notFound('Contact')
    await audit(db, request, { action: 'consent.evidence_viewed', target: `contact:${contact.id}`, contactId: contact.id })
    const overview = await consent.overview(db, contact.id)
    const wamids = overview.flatMap((o) => o.events.map((e) => (JSON.parse(e.evidence) as { wamid?: string }).wamid).filter((w): w is string => !!w))
    const raws = wamids.length ? await vault.open(db, await db.selectFrom('messages').select(['id', 'wamid', 'content', 'key_id']).where('wamid', 'in', wamids).execute()) : []
    const company = (await getSetting<{ name: string }>(db, 'company'))?.name ?? '—'
    const html = renderEvidence({
      company,
      contact: { id: contact.id, waId: contact.wa_id, name: contact.name_override ?? contact.profile_name },
      purposes: overview.map((o) => ({ key: o.purpose.key, label: o.purpose.label_de, state: o.state, events: o.events })),
      messages: new Map(raws.map((r) => [r.wamid!, r.content])),
      printedAt: nowIso(),
    })
    return reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").header('cache-control', 'no-store').send(html)
  })

  app.post('/api/contacts/:id/consents', { config: { access: STAFF }, schema: { tags, params: idParams, body: recordBody, response: { 201: z.object({ recorded: z.number().int() }) } } }, async (request, reply) => {
    const contact = await vault.details.openRow(db, await db.selectFrom('contacts').select(['id', 'wa_id']).where('id', '=', request.params.id).executeTakeFirst())
    if (!contact) throw notFound('Contact')
    const purposes = (await listPurposes(db)).map((p) => p.key)
    const { purpose, kind, reason } = request.body
    if (purpose && !purposes.includes(purpose)) throw new AppError('consent.unknown_purpose', 400, `There is no consent purpose "${purpose}".`, { details: { field: 'purpose' } })
    const now = nowIso()
    const auth = request.auth
    const by = auth?.kind === 'token' ? `token:${auth.tokenId}` : (auth?.user?.id ?? null)
    const targets = purpose ? [purpose] : purposes
    await db.transaction().execute(async (tx) => {
      await appendConsentEvents(tx, targets.map((p) => ({ contactId: contact.id, purpose: p, kind, channel: 'agent' as const, source: { recordedBy: by, reason }, evidence: { reason }, occurredAt: now, recordedBy: by })))
      if (kind === 'objected' && contact.wa_id) await consent.suppressions.add(tx, contact.wa_id, 'objection recorded by an agent', now)
    })
    const conversations = await db.selectFrom('conversations').select('id').where('contact_id', '=', contact.id).execute()
    for (const c of conversations) onChanged(c.id)
    return reply.code(201).send({ recorded: targets.length })
  })
}
