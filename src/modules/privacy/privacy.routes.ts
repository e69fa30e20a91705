import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { zipSync } from 'fflate'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { openCorrections } from '../contacts/contact-details.js'
import { conflict, notFound } from '../../platform/errors.js'
import { ADMIN, ALL_ROLES, STAFF } from '../../platform/http/access.js'
import { decodeCursor, listOf, pageQuery, toPage } from '../../platform/http/cursor.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import type { ConsentService } from '../consent/consent.service.js'
import type { DataKeys } from '../archive/data-keys.js'
import { expireRecords } from '../archive/expiry.js'
import type { MediaStore } from '../media/media-store.js'
import { getSetting, putSetting } from '../settings/settings.repo.js'
import { audit } from './audit.js'
import { localDate } from './deadlines.js'
import type { Integrations } from '../integrations/integrations.js'
import { eraseContact, eraseExpired, expireConsentEvidence, erasureLetter, writeErasureReceipt } from './erasure.js'
import { buildProcessingRecord, currentRecordVersion, type Deployment } from './processing-record.js'
import { renderRecordHtml, renderRecordPdf } from './processing-record-render.js'
import { type Dpo, dpoSchema, metaStorageSchema, readMetaStorage, readRetention, readStrictEu, retentionSchema } from './retention-settings.js'
import type { MessageVault } from '../inbox/message-vault.js'
import { collectSubjectData, mediaFileName, subjectExportSchema } from './subject-export.js'
import { renderSubjectHtml } from './subject-export-html.js'
import { readTeamAccess, teamAccessSchema } from './team-access.js'

const idParams = z.object({ id: z.string().min(1).max(100) })
const AUDITORS = ['admin', 'auditor'] as const
const privacySettings = z.object({ retention: retentionSchema, metaStorage: metaStorageSchema, strictEu: z.boolean(), dpo: dpoSchema.nullable(), teamAccess: teamAccessSchema })
const correctionBody = z.object({
  field: z.literal('name').describe('the contact field to correct'),
  value: z.string().trim().min(1).max(200),
  reason: z.string().trim().min(3).max(500),
  dsrId: z.string().max(100).optional().describe('the rectification request this answers'),
})
const correctionSchema = z.object({ id: z.string(), field: z.string(), oldValue: z.string().nullable(), newValue: z.string(), reason: z.string(), dsrId: z.string().nullable(), correctedBy: z.string().nullable(), correctedAt: z.string() })
const auditSchema = z.object({ id: z.string(), at: z.string(), actorId: z.string().nullable(), actorKind: z.string(), actorRole: z.string().nullable(), action: z.string(), contactId: z.string().nullable(), target: z.string(), detail: z.record(z.string(), z.unknown()), ip: z.string().nullable() })

/**
 * The data-protection officer's tools: the access/portability package per contact, rectification
 * with history, the Art. 30 record generated from the configuration (versioned), the privacy
 * settings behind it, and the audit log.
 */
export const privacyRoutes: FastifyPluginAsync<{ db: Db; consent: ConsentService; vault: MessageVault; store: MediaStore; keys: DataKeys; integrations: Integrations; deployment: Deployment; onConversationsChanged: (ids: string[]) => void }> = async (
  base,
  { db, consent, vault, store, keys, integrations, deployment, onConversationsChanged },
) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['privacy']
  // Retention: people whose restriction ended are erased; records whose period ended expire.
  let keyPassDone = ''
  const runRetention = async (o: { keyPass?: boolean } = {}) => {
    const today = localDate(nowIso())
    const keyPass = o.keyPass === true || keyPassDone !== today
    keyPassDone = today
    const retention = await readRetention(db)
    const { contacts, orphanedMedia } = await eraseExpired(db, { today, retention, suppressions: consent.suppressions, keys, details: vault.details, integrations })
    const consentEvidence = await expireConsentEvidence(db, today)
    const expired = await expireRecords(db, { today, retention, keys, keyPass })
    for (const sha of [...orphanedMedia, ...expired.media]) await store.delete(sha)
    return { erased: contacts, expired: Object.values(expired.messages).reduce((a, b) => a + b, 0), shreddedKeys: expired.shreddedKeys.length, consentEvidenceExpired: consentEvidence }
  }
  const timer = setInterval(() => void runRetention().catch((err: unknown) => base.log.error({ err }, 'retention run failed')), 3_600_000)
  timer.unref()
  base.addHook('onClose', async () => clearInterval(timer))

  // Access and portability (GDPR-15, GDPR-20): one ZIP with data.json, index.html and the media.
  app.get('/api/contacts/:id/export', { config: { access: ADMIN }, schema: { tags, params: idParams } }, async (request, reply) => {
    if (!(await db.selectFrom('contacts').select('id').where('id', '=', request.params.id).executeTakeFirst())) throw notFound('Contact')
    const exportedAt = nowIso()
    const { data, mediaRows } = await collectSubjectData(db, consent, vault, request.params.id, exportedAt)
    const files: Record<string, Uint8Array> = {
      'data.json': Buffer.from(JSON.stringify(data, null, 2)),
      'index.html': Buffer.from(renderSubjectHtml(data)),
      'schema.json': Buffer.from(JSON.stringify(z.toJSONSchema(subjectExportSchema), null, 2)),
    }
    for (const m of mediaRows) {
      const bytes = m.state === 'stored' && m.sha256 ? await store.get(m.sha256) : undefined
      if (bytes) files[mediaFileName(m)] = bytes
    }
    const zip = zipSync(files, { level: 6, mtime: new Date(exportedAt) })
    await audit(db, request, { action: 'contact.exported', target: `contact:${request.params.id}`, contactId: request.params.id, detail: { messages: data.conversations.reduce((n, c) => n + c.messages.length, 0), media: mediaRows.length } })
    return reply
      .type('application/zip')
      .header('content-disposition', `attachment; filename="auskunft-${request.params.id}-${exportedAt.slice(0, 10)}.zip"`)
      .header('cache-control', 'no-store')
      .send(Buffer.from(zip))
  })

  app.get('/api/privacy/export-schema.json', { config: { access: ALL_ROLES }, schema: { tags } }, async () => z.toJSONSchema(subjectExportSchema))

  // Erasure (GDPR-17/18): runs an open, verified erasure request; answers with the letter to the person.
  app.post(
    '/api/privacy/requests/:id/erase',
    { config: { access: ADMIN }, schema: { tags, params: idParams, response: { 200: z.object({ receiptId: z.string(), letter: z.string(), summary: z.record(z.string(), z.unknown()) }) } } },
    async (request) => {
      const dsr = await db.selectFrom('dsr_requests').selectAll().where('id', '=', request.params.id).executeTakeFirst()
      if (!dsr) throw notFound('Request')
      if (dsr.kind !== 'erasure') throw conflict('privacy.not_erasure', 'Only an erasure request erases data.')
      if (dsr.status !== 'open') throw conflict('privacy.request_closed', 'The request is already closed.')
      if (!dsr.contact_id) throw conflict('privacy.no_contact', 'Link the request to a contact first.')
      if (!dsr.identity_verified_at) throw conflict('privacy.identity_unverified', "Verify the requester's identity before erasing.")
      const contactId = dsr.contact_id
      const conversationIds = (await db.selectFrom('conversations').select('id').where('contact_id', '=', contactId).execute()).map((c) => c.id)
      const retention = await readRetention(db)
      const company = (await getSetting<{ name: string }>(db, 'company'))?.name ?? null
      const by = request.auth?.user?.id ?? null
      const result = await db.transaction().execute(async (tx) => {
        const { summary, orphanedMedia, shreddedKeys } = await eraseContact(tx, { contactId, retention, suppressions: consent.suppressions, keys, details: vault.details, integrations })
        const receiptId = await writeErasureReceipt(tx, { contactId, dsrId: dsr.id, summary, by, media: orphanedMedia, shreddedKeys })
        const letter = erasureLetter(summary, company)
        const now = nowIso()
        await tx.updateTable('dsr_requests').set({ status: 'completed', outcome: letter, closed_at: now, updated_at: now }).where('id', '=', dsr.id).execute()
        await audit(tx, request, { action: 'contact.erased', target: `contact:${contactId}`, contactId, detail: { receipt: receiptId, erased: summary.erased.messages, retained: summary.retained.map((r) => r.messages) } })
        return { receiptId, letter, summary, orphanedMedia }
      })
      for (const sha of result.orphanedMedia) await store.delete(sha)
      onConversationsChanged(conversationIds)
      return { receiptId: result.receiptId, letter: result.letter, summary: result.summary }
    },
  )

  // The end of retention: restricted people whose retention ended are erased (also run hourly).
  app.post(
    '/api/privacy/retention/run',
    { config: { access: ADMIN }, schema: { tags, response: { 200: z.object({ erased: z.number().int().describe('people erased at the end of their restriction'), expired: z.number().int().describe('messages whose retention ended'), shreddedKeys: z.number().int(), consentEvidenceExpired: z.number().int().describe('erased people whose consent evidence outlived its tail (UWG-7a)') }) } } },
    async () => runRetention({ keyPass: true }),
  )

  // Rectification (GDPR-16): appended, never overwritten; the newest value is the live one.
  app.get('/api/contacts/:id/corrections', { config: { access: STAFF }, schema: { tags, params: idParams, response: { 200: listOf(correctionSchema) } } }, async (request) => {
    const rows = await openCorrections(db, vault.details, await db.selectFrom('contact_corrections').selectAll().where('contact_id', '=', request.params.id).orderBy('corrected_at').orderBy('id').execute())
    return { items: rows.map((r) => ({ id: r.id, field: r.field, oldValue: r.old_value, newValue: r.new_value, reason: r.reason, dsrId: r.dsr_id, correctedBy: r.corrected_by, correctedAt: r.corrected_at })), nextCursor: null }
  })

  app.post('/api/contacts/:id/corrections', { config: { access: STAFF }, schema: { tags, params: idParams, body: correctionBody, response: { 201: correctionSchema } } }, async (request, reply) => {
    const { value, reason, dsrId } = request.body
    const by = request.auth?.kind === 'token' ? `token:${request.auth.tokenId}` : (request.auth?.user?.id ?? null)
    const row = await db.transaction().execute(async (tx) => {
      const contact = await vault.details.openRow(tx, await tx.selectFrom('contacts').select(['id', 'wa_id', 'name_override', 'profile_name']).where('id', '=', request.params.id).executeTakeFirst())
      if (!contact) throw notFound('Contact')
      if (dsrId && !(await tx.selectFrom('dsr_requests').select('id').where('id', '=', dsrId).where('contact_id', '=', contact.id).executeTakeFirst())) throw notFound('Request')
      const now = nowIso()
      const correction = { id: newId(), contact_id: contact.id, field: 'name', old_value: contact.name_override ?? contact.profile_name, new_value: value, reason, dsr_id: dsrId ?? null, corrected_by: by, corrected_at: now }
      // Names are sealed at rest, in the history too.
      const seal = (name: string | null) => vault.details.seal(tx, contact.id, name)
      await tx.insertInto('contact_corrections').values({ ...correction, old_value: await seal(correction.old_value), new_value: (await seal(value))! }).execute()
      await tx.updateTable('contacts').set({ name_override: await seal(value), updated_at: now }).where('id', '=', contact.id).execute()
      await vault.details.enter(tx, contact.id, { name: value, waId: contact.wa_id })
      await audit(tx, request, { action: 'contact.corrected', target: `contact:${contact.id}`, contactId: contact.id, detail: { field: 'name', correction: correction.id } })
      await integrations.notify(tx, { event: 'contact.rectified', contact: { id: contact.id, waId: contact.wa_id }, occurredAt: now, detail: { field: 'name', value } })
      return correction
    })
    onConversationsChanged((await db.selectFrom('conversations').select('id').where('contact_id', '=', row.contact_id).execute()).map((c) => c.id))
    return reply.code(201).send({ id: row.id, field: row.field, oldValue: row.old_value, newValue: row.new_value, reason: row.reason, dsrId: row.dsr_id, correctedBy: row.corrected_by, correctedAt: row.corrected_at })
  })

  // The Art. 30 record (GDPR-30), generated from the live configuration and versioned.
  app.get(
    '/api/privacy/processing-record',
    { config: { access: AUDITORS }, schema: { tags, querystring: z.object({ format: z.enum(['html', 'pdf', 'json']).default('html') }) } },
    async (request, reply) => {
      const record = await buildProcessingRecord(db, deployment)
      const { version, createdAt } = await currentRecordVersion(db, record)
      await audit(db, request, { action: 'processing_record.viewed', target: `processing_record:${version}`, detail: { format: request.query.format } })
      const meta = { version, createdAt, printedAt: nowIso() }
      reply.header('cache-control', 'no-store')
      if (request.query.format === 'json') return { version, createdAt, record }
      if (request.query.format === 'pdf') return reply.type('application/pdf').header('content-disposition', `inline; filename="verarbeitungsverzeichnis-v${version}.pdf"`).send(await renderRecordPdf(record, meta))
      return reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(renderRecordHtml(record, meta))
    },
  )

  app.get('/api/privacy/processing-record/versions', { config: { access: AUDITORS }, schema: { tags, response: { 200: listOf(z.object({ version: z.number().int(), createdAt: z.string(), contentSha256: z.string() })) } } }, async () => {
    const rows = await db.selectFrom('processing_records').select(['version', 'created_at', 'content_sha256']).orderBy('version', 'desc').execute()
    return { items: rows.map((r) => ({ version: r.version, createdAt: r.created_at, contentSha256: r.content_sha256 })), nextCursor: null }
  })

  const readSettings = async () => ({ retention: await readRetention(db), metaStorage: await readMetaStorage(db), strictEu: await readStrictEu(db), dpo: (await getSetting<Dpo>(db, 'privacy.dpo')) ?? null, teamAccess: await readTeamAccess(db) })
  app.get('/api/privacy/settings', { config: { access: AUDITORS }, schema: { tags, response: { 200: privacySettings } } }, readSettings)
  app.put('/api/privacy/settings', { config: { access: ADMIN }, schema: { tags, body: privacySettings.partial(), response: { 200: privacySettings } } }, async (request) => {
    const by = request.auth?.user?.id ?? null
    const { retention, metaStorage, strictEu, dpo, teamAccess } = request.body
    await db.transaction().execute(async (tx) => {
      if ((strictEu ?? (await readStrictEu(tx))) && (metaStorage ?? (await readMetaStorage(tx))) === 'default') {
        throw conflict('privacy.strict_eu_storage', "Strict EU mode needs Meta's Local Storage in the EU or No Storage; with the default, Meta keeps messages in the US for up to 30 days.", { field: 'metaStorage' })
      }
      if (strictEu !== undefined) await putSetting(tx, 'privacy.strict_eu', strictEu, by)
      if (retention !== undefined) await putSetting(tx, 'privacy.retention', retention, by)
      if (metaStorage !== undefined) await putSetting(tx, 'privacy.meta_storage', metaStorage, by)
      if (dpo !== undefined) await putSetting(tx, 'privacy.dpo', dpo, by)
      if (teamAccess !== undefined) await putSetting(tx, 'privacy.team_access', teamAccess, by)
    })
    // The record follows the configuration: a change makes a new version at once.
    await currentRecordVersion(db, await buildProcessingRecord(db, deployment))
    return readSettings()
  })

  /**
   * Privacy by default (GDPR-25): what this installation does with personal data unless an admin
   * changed it — the configured values next to the fixed design decisions, for the DPO's records.
   */
  app.get('/api/privacy/defaults', { config: { access: AUDITORS }, schema: { tags } }, async () => {
    const retention = await readRetention(db)
    return {
      retention: { marketingDays: retention.marketingDays, notesMonths: retention.notesMonths, consentEvidenceYears: retention.consentEvidenceYears, auditYears: retention.auditYears, defaultClass: retention.defaultClass },
      teamAccess: await readTeamAccess(db),
      metaStorage: await readMetaStorage(db),
      strictEu: await readStrictEu(db),
      // Fixed by design; listed so that the record shows them.
      media: 'inbound media are fetched once, for the conversation and the archive; nothing is fetched from links or previews',
      publicPages: ['the opt-in page of each consent purpose (no cookies, nothing from other origins)'],
      publicLinks: 'none: media, exports and records need a session or a token',
      telemetry: 'none: Postfach sends nothing to its makers or third parties',
      logs: 'no phone numbers, names or message text (checked by a test)',
    }
  })

  // The audit log: admins and auditors read it; nobody can change it.
  app.get('/api/audit', { config: { access: AUDITORS }, schema: { tags, querystring: pageQuery.extend({ contactId: z.string().max(100).optional(), action: z.string().max(60).optional() }), response: { 200: listOf(auditSchema) } } }, async (request) => {
    const { cursor, limit, contactId, action } = request.query
    const after = decodeCursor(cursor)
    let q = db.selectFrom('audit_log').selectAll()
    if (contactId) q = q.where('contact_id', '=', contactId)
    if (action) q = q.where('action', '=', action)
    if (after) q = q.where((eb) => eb.or([eb('at', '<', after.at), eb.and([eb('at', '=', after.at), eb('id', '<', after.id)])]))
    const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
    const page = toPage(rows, limit, (r) => [r.at, r.id])
    return {
      items: page.items.map((r) => ({ id: r.id, at: r.at, actorId: r.actor_id, actorKind: r.actor_kind, actorRole: r.actor_role, action: r.action, contactId: r.contact_id, target: r.target, detail: JSON.parse(r.detail) as Record<string, unknown>, ip: r.ip })),
      nextCursor: page.nextCursor,
    }
  })

}
