import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { AppError, conflict, notFound } from '../../platform/errors.js'
import { STAFF } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import { audit } from '../privacy/audit.js'
import { listPurposes } from './consent.repo.js'
import type { MessageVault } from '../inbox/message-vault.js'
import type { ConsentService } from './consent.service.js'
import { basesOf } from './existing-customer.js'
import { localDate } from '../privacy/deadlines.js'

const idParams = z.object({ id: z.string().min(1).max(100) })
const basisBody = z.object({
  purpose: z.string().min(1).max(40),
  saleReference: z.string().trim().min(2).max(200).describe('order or invoice number of the sale the number came with'),
  soldAt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD'),
  noticeText: z.string().trim().min(20).max(2000).describe('the objection notice the customer was given when the number was collected'),
  similarGoods: z.literal(true).describe('the advertising is for the company’s own goods or services similar to the ones sold'),
})
const basisSchema = z.object({ id: z.string(), purpose: z.string(), saleReference: z.string(), soldAt: z.string(), noticeText: z.string(), recordedAt: z.string(), recordedBy: z.string().nullable(), active: z.boolean() })

/**
 * The existing-customer basis (§ 7(3) UWG): staff record that a customer's number came with a
 * sale, for advertising the company's own similar goods without consent. Refused for a person who
 * objected, withdrew or is on the suppression list (the basis needs that they have not objected),
 * and for a restricted one. Listed per contact with whether each still holds.
 */
export const existingCustomerRoutes: FastifyPluginAsync<{ db: Db; consent: ConsentService; vault: MessageVault; now: () => number }> = async (base, { db, consent, vault, now: clock }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['consent']

  const contactOf = async (id: string) => {
    const contact = await vault.details.openRow(db, await db.selectFrom('contacts').select(['id', 'wa_id', 'restricted_at', 'erased_at']).where('id', '=', id).executeTakeFirst())
    if (!contact || contact.erased_at) throw notFound('Contact')
    return contact
  }

  app.get('/api/contacts/:id/existing-customer', { config: { access: STAFF }, schema: { tags, params: idParams, response: { 200: listOf(basisSchema) } } }, async (request) => {
    const contact = await contactOf(request.params.id)
    const suppressedAt = contact.wa_id ? await consent.suppressions.since(db, contact.wa_id) : undefined
    return { items: await basesOf(db, contact.id, suppressedAt), nextCursor: null }
  })

  app.post('/api/contacts/:id/existing-customer', { config: { access: STAFF }, schema: { tags, params: idParams, body: basisBody, response: { 201: basisSchema } } }, async (request, reply) => {
    const contact = await contactOf(request.params.id)
    if (contact.restricted_at) throw conflict('privacy.restricted', 'This person asked for erasure; their data is kept only for a legal retention duty and may not be used.')
    const b = request.body
    if (!(await listPurposes(db)).some((p) => p.key === b.purpose)) throw new AppError('consent.unknown_purpose', 400, `There is no consent purpose "${b.purpose}".`, { details: { field: 'purpose' } })
    const now = nowIso()
    const day = new Date(`${b.soldAt}T00:00:00Z`)
    // Not in the future: the date is a day in the company's time zone (just after midnight it is already tomorrow in UTC terms).
    const today = localDate(new Date(clock()).toISOString())
    if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== b.soldAt || b.soldAt > today) throw new AppError('validation_failed', 400, 'The date of sale must be a real date, not in the future.', { details: { field: 'soldAt' } })
    const refused = await consent.refusal(db, { contactId: contact.id, waId: contact.wa_id, purpose: b.purpose })
    if (refused && refused !== 'no-consent') {
      throw conflict(`consent.${refused}`, `The customer has ${refused === 'suppressed' ? 'objected before (the number is on the suppression list)' : refused === 'objected' ? 'objected' : 'withdrawn their consent'}; the existing-customer exemption applies only to customers who have not objected.`, { purpose: b.purpose })
    }
    const by = request.auth?.kind === 'token' ? `token:${request.auth.tokenId}` : (request.auth?.user?.id ?? null)
    const id = newId()
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('existing_customer_bases').values({ id, contact_id: contact.id, purpose: b.purpose, sale_reference: b.saleReference, sold_at: b.soldAt, notice_text: b.noticeText, recorded_at: now, recorded_by: by }).execute()
      await audit(tx, request, { action: 'consent.existing_customer_recorded', target: `contact:${contact.id}`, contactId: contact.id, detail: { purpose: b.purpose } })
    })
    return reply.code(201).send({ id, purpose: b.purpose, saleReference: b.saleReference, soldAt: b.soldAt, noticeText: b.noticeText, recordedAt: now, recordedBy: by, active: true })
  })
}
