import { createHash } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { sql } from 'kysely'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import type { Role } from '../../db/schema.js'
import { badRequest } from '../../platform/errors.js'
import { ADMIN } from '../../platform/http/access.js'
import { decodeCursor, listOf, toPage } from '../../platform/http/cursor.js'
import { messageText } from '../inbox/message-text.js'
import type { MessageVault } from '../inbox/message-vault.js'
import { BlindIndex } from '../search/blind-index.js'
import { searchTerms } from '../search/search.repo.js'
import type { MediaStore } from '../media/media-store.js'
import { audit } from '../privacy/audit.js'
import { localDate } from '../privacy/deadlines.js'
import { readRetention, RETENTION_CLASSES, retainedUntil, retentionYears } from '../privacy/retention-settings.js'
import { getSetting, putSetting } from '../settings/settings.repo.js'
import type { CompanySettings } from '../settings/settings.routes.js'
import type { ArchiveLog } from './archive-log.js'
import { allowedSelection, auditScopeSchema, readAuditScope, TAX_CLASSES } from './audit-scope.js'
import type { JournalSealer } from './journal-sealer.js'
import type { ArchiveKey } from './signing-key.js'
import { buildZ3Export } from './z3-export.js'

const ARCHIVE_READERS: readonly Role[] = ['admin', 'auditor']

const selection = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    contactId: z.string().min(1).max(100).optional(),
    classes: z
      .string()
      .max(200)
      .optional()
      .transform((v, ctx) => {
        if (!v) return [...TAX_CLASSES]
        const list = [...new Set(v.split(',').map((c) => c.trim()))]
        const unknown = list.filter((c) => !(RETENTION_CLASSES as readonly string[]).includes(c))
        if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown class: ${unknown.join(', ')}` })
        return list as (typeof RETENTION_CLASSES)[number][]
      }),
  })
  .refine((s) => s.from <= s.to, { message: 'from must not be after to' })

/** The UTC instant of midnight in Berlin at the start of a calendar date. */
function berlinMidnight(date: string): string {
  for (const offsetHours of [1, 2]) {
    const t = new Date(Date.parse(`${date}T00:00:00Z`) - offsetHours * 3_600_000).toISOString()
    if (localDate(t) === date && localDate(new Date(Date.parse(t) - 1).toISOString()) !== date) return t
  }
  throw new Error(`no midnight for ${date}`)
}
const nextDay = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)

const itemSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  contactId: z.string(),
  /** The business number the conversation runs on (its channel is the Cloud API phone number id; GOBD-5's index names it). */
  phoneNumberId: z.string(),
  direction: z.string(),
  type: z.string(),
  timestamp: z.string(),
  wamid: z.string().nullable(),
  status: z.string(),
  class: z.string(),
  retainUntil: z.string().nullable(),
  text: z.string().nullable(),
})

/**
 * The tax auditor's access (GoBD Z1–Z3): searching and filtering the archived records within the
 * audit period and the tax classes, each query logged with its definition and a digest of its
 * result (so it can be reproduced, Z2), and the Z3 data handover as a ZIP.
 */
export const archiveAccessRoutes: FastifyPluginAsync<{ db: Db; log: ArchiveLog; keyPair: ArchiveKey; store: MediaStore; sealer: JournalSealer; vault: MessageVault }> = async (base, { db, log, keyPair, store, sealer, vault }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['archive']

  app.get('/api/archive/audit-scope', { config: { access: ARCHIVE_READERS }, schema: { tags, summary: 'The audit period the auditor role is limited to', response: { 200: z.object({ scope: z.object({ from: z.string(), to: z.string() }).nullable() }) } } }, async () => ({
    scope: (await readAuditScope(db)) ?? null,
  }))

  app.put('/api/archive/audit-scope', { config: { access: ADMIN }, schema: { tags, summary: 'Set the audit period', body: auditScopeSchema } }, async (request, reply) => {
    await putSetting(db, 'archive.audit_scope', request.body, request.auth?.user?.id ?? null)
    await audit(db, request, { action: 'archive.searched', target: 'archive:audit-scope', detail: { set: request.body } })
    return reply.code(204).send()
  })

  const classExpr = async () => {
    const { defaultClass } = await readRetention(db)
    return sql<string>`coalesce(m.retention_class, case when m.purpose is not null then 'marketing' end, c.retention_class, ${defaultClass})`
  }

  app.get(
    '/api/archive/search',
    {
      config: { access: ARCHIVE_READERS },
      schema: {
        tags,
        summary: 'Archived messages by period, contact, class and text (Z1); every query is logged with its definition',
        querystring: selection.and(z.object({ q: z.string().trim().max(200).optional(), sort: z.enum(['asc', 'desc']).default('asc'), cursor: z.string().max(500).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) })),
        response: { 200: listOf(itemSchema).extend({ query: z.record(z.string(), z.unknown()), resultSha256: z.string() }) },
      },
    },
    async (request) => {
      const s = request.query
      await allowedSelection(db, request, s)
      const retention = await readRetention(db)
      const cls = await classExpr()
      const after = decodeCursor(s.cursor)
      let q = db
        .selectFrom('messages as m')
        .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
        .select(['m.id', 'm.conversation_id', 'c.contact_id', 'c.channel_id', 'm.direction', 'm.type', 'm.timestamp', 'm.wamid', 'm.status', 'm.content', 'm.key_id', cls.as('cls')])
        .where('m.timestamp', '>=', berlinMidnight(s.from))
        .where('m.timestamp', '<', berlinMidnight(nextDay(s.to)))
        .where(cls, 'in', s.classes)
        .orderBy('m.timestamp', s.sort)
        .orderBy('m.id', s.sort)
        .limit(s.limit + 1)
      if (s.contactId) q = q.where('c.contact_id', '=', s.contactId)
      // Text is sealed at rest: the blind index narrows by words, the opened text confirms below.
      const terms = s.q ? searchTerms(s.q) : []
      if (s.q) q = terms.length ? q.where('m.id', 'in', vault.index.matching(db, terms)) : q.where(sql<boolean>`1 = 0`)
      if (after) q = q.where((eb) => eb.or([eb('m.timestamp', s.sort === 'asc' ? '>' : '<', after.at), eb.and([eb('m.timestamp', '=', after.at), eb('m.id', s.sort === 'asc' ? '>' : '<', after.id)])]))
      const page = toPage(await q.execute(), s.limit, (r) => [r.timestamp, r.id])
      const opened = (await vault.open(db, page.items)).filter((m) => !terms.length || BlindIndex.confirms(messageText(m.type, m.content), terms))
      const items = opened.map((m) => {
        const years = retentionYears(retention, m.cls as (typeof RETENTION_CLASSES)[number])
        return { id: m.id, conversationId: m.conversation_id, contactId: m.contact_id, phoneNumberId: m.channel_id, direction: m.direction, type: m.type, timestamp: m.timestamp, wamid: m.wamid, status: m.status, class: m.cls, retainUntil: years ? retainedUntil(m.timestamp, years) : null, text: messageText(m.type, m.content) }
      })
      const query = { from: s.from, to: s.to, contactId: s.contactId ?? null, classes: s.classes, q: s.q ?? null, sort: s.sort, cursor: s.cursor ?? null, limit: s.limit }
      const resultSha256 = createHash('sha256').update(items.map((i) => i.id).join('\n')).digest('hex')
      await audit(db, request, { action: 'archive.searched', target: 'archive:search', contactId: s.contactId ?? null, detail: { query, results: items.length, resultSha256 } })
      return { items, nextCursor: page.nextCursor, query, resultSha256 }
    },
  )

  app.get(
    '/api/archive/export',
    { config: { access: ARCHIVE_READERS }, schema: { tags, summary: 'Z3 data handover: a ZIP after the Beschreibungsstandard with originals, media, proofs and a standalone verifier', querystring: selection } },
    async (request, reply) => {
      const s = request.query
      await allowedSelection(db, request, s)
      if (s.contactId && !(await db.selectFrom('contacts').select('id').where('id', '=', s.contactId).executeTakeFirst())) throw badRequest('Unknown contact.', { field: 'contactId' })
      const company = await getSetting<CompanySettings>(db, 'company')
      const { zip, messages, checkpoint } = await buildZ3Export(db, { selection: s, log, key: keyPair, store, sealer, vault, supplier: { name: company?.name ?? 'Postfach', location: company?.address ?? '-' } })
      await audit(db, request, { action: 'archive.exported', target: 'archive:z3', contactId: s.contactId ?? null, detail: { selection: s, messages, checkpoint: checkpoint.size } })
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="postfach-z3-${s.from}-${s.to}.zip"`)
        .send(Buffer.from(zip))
    },
  )
}
