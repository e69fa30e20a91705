import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import parsePhoneNumber from 'libphonenumber-js'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { AppError } from '../../platform/errors.js'
import { ADMIN } from '../../platform/http/access.js'
import { newId } from '../../platform/ids.js'
import { isoPlus, nowIso } from '../../platform/time.js'
import { upsertContact } from '../contacts/contacts.repo.js'
import { appendConsentEvents, listConsentEvents } from './consent.repo.js'
import type { MessageVault } from '../inbox/message-vault.js'
import type { ConsentService } from './consent.service.js'
import { deriveState } from './consent-state.js'

/** Imported sign-ups wait this long for the person's confirmation on WhatsApp, then lapse. */
export const IMPORT_CONFIRMATION_DAYS = 30

const importBody = z.object({
  purpose: z.string().min(1).max(40),
  /** The exact wording the people agreed to, and where the list comes from (UWG-DOI: documented completely). */
  text: z.string().trim().min(20).max(2000),
  noticeVersion: z.string().trim().min(1).max(40).optional(),
  provenance: z.object({
    description: z.string().trim().min(10).max(1000).describe('e.g. "paper forms at the trade fair, 12 Oct 2026"'),
    reference: z.string().trim().max(500).optional().describe('a file name, folder or document number'),
    collectedAt: z.iso.datetime({ offset: true }).optional(),
  }),
  entries: z.array(z.object({ phone: z.string().trim().min(3).max(40), occurredAt: z.iso.datetime({ offset: true }).optional() })).min(1).max(5000),
})
const resultSchema = z.object({
  importId: z.string(),
  imported: z.number().int(),
  skipped: z.object({ invalid: z.number().int(), duplicate: z.number().int(), suppressed: z.number().int(), objected: z.number().int(), withdrawn: z.number().int(), confirmed: z.number().int() }),
  expiresAt: z.string(),
})

/**
 * Imports consent sign-ups collected elsewhere (paper, another system) with their provenance. An
 * import proves a request, never a consent: every entry becomes a pending request that the person
 * confirms from their own number (double opt-in) or that lapses. Numbers on the suppression list,
 * and people who withdrew or objected, are never re-added (GDPR-21).
 */
export const consentImportRoutes: FastifyPluginAsync<{ db: Db; consent: ConsentService; vault: MessageVault }> = async (base, { db, consent, vault }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  app.post('/api/consent/import', { config: { access: ADMIN }, bodyLimit: 1024 * 1024, schema: { tags: ['consent'], body: importBody, response: { 200: resultSchema } } }, async (request) => {
    const { purpose, text, noticeVersion, provenance, entries } = request.body
    if (!(await db.selectFrom('consent_purposes').select('key').where('key', '=', purpose).executeTakeFirst())) {
      throw new AppError('consent.unknown_purpose', 400, `There is no consent purpose "${purpose}".`, { details: { field: 'purpose' } })
    }
    const importId = newId()
    const now = nowIso()
    const expiresAt = isoPlus(now, IMPORT_CONFIRMATION_DAYS * 24 * 3_600_000)
    const by = request.auth?.user?.id ?? null
    const skipped = { invalid: 0, duplicate: 0, suppressed: 0, objected: 0, withdrawn: 0, confirmed: 0 }
    const seen = new Set<string>()
    let imported = 0
    await db.transaction().execute(async (tx) => {
      for (const [row, entry] of entries.entries()) {
        const phone = parsePhoneNumber(entry.phone, 'DE')
        if (!phone?.isValid()) {
          skipped.invalid++
          continue
        }
        const waId = phone.number.slice(1)
        if (seen.has(waId)) {
          skipped.duplicate++
          continue
        }
        seen.add(waId)
        if (await consent.suppressions.since(tx, waId)) {
          skipped.suppressed++
          continue
        }
        const known = await tx.selectFrom('contacts').select('id').where('wa_key', '=', vault.details.lookupKey('wa', waId)).executeTakeFirst()
        if (known) {
          const events = (await listConsentEvents(tx, known.id)).filter((e) => e.purpose === purpose)
          const state = deriveState(events.map((e) => ({ kind: e.kind, occurredAt: e.occurred_at, expiresAt: e.expires_at })), now)
          if (state === 'objected' || state === 'withdrawn' || state === 'confirmed') {
            skipped[state]++
            continue
          }
        }
        const contact = known ?? (await upsertContact(tx, vault.details, { waId, userId: undefined }, now))
        await appendConsentEvents(tx, [
          {
            contactId: contact.id,
            purpose,
            kind: 'requested',
            channel: 'import',
            text,
            noticeVersion: noticeVersion ?? null,
            source: { import: importId, description: provenance.description, reference: provenance.reference ?? null, collectedAt: provenance.collectedAt ?? null, importedBy: by },
            evidence: { import: importId, row: row + 1 }, // the row of the file, not the number (sealed with the contact)
            evidenceRef: `import:${importId}:${row + 1}`,
            occurredAt: entry.occurredAt ? new Date(entry.occurredAt).toISOString() : (provenance.collectedAt ? new Date(provenance.collectedAt).toISOString() : now),
            recordedBy: by,
            expiresAt,
          },
        ])
        imported++
      }
    })
    return { importId, imported, skipped, expiresAt }
  })
}
