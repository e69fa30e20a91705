import { z } from 'zod'
import type { Executor } from '../../db/database.js'
import type { ConsentService, Refusal } from '../consent/consent.service.js'
import type { ContactDetails } from '../contacts/contact-details.js'

/** Who a campaign is for: contacts with any of the labels (on one of their conversations) and the attributes given. */
export const audienceSchema = z.object({
  labelIds: z.array(z.string().max(64)).max(50).default([]),
  /** Country calling code of the number, e.g. "49". */
  countryCode: z.string().regex(/^\d{1,3}$/).optional(),
  lastContactAfter: z.iso.datetime({ offset: true }).optional(),
  lastContactBefore: z.iso.datetime({ offset: true }).optional(),
})
export type Audience = z.infer<typeof audienceSchema>

export type ExclusionReason = Refusal | 'restricted'
export type Classified = { eligible: { contactId: string; waId: string }[]; excluded: { contactId: string; reason: ExclusionReason }[] }

/** Who judges an audience: consent, and the contact details (numbers are sealed). */
export type AudienceJudges = { consent: ConsentService; details: ContactDetails }

/** The contacts that match the audience, before consent, with their numbers opened: erased people and people without a number never. */
export async function audienceContacts(db: Executor, details: ContactDetails, a: Audience) {
  let q = db.selectFrom('contacts').select(['id', 'wa_id', 'restricted_at']).where('erased_at', 'is', null).where('wa_id', 'is not', null)
  if (a.labelIds.length) {
    q = q.where('id', 'in', db.selectFrom('conversations').innerJoin('conversation_labels', 'conversation_labels.conversation_id', 'conversations.id').select('conversations.contact_id').where('conversation_labels.label_id', 'in', a.labelIds))
  }
  if (a.lastContactAfter) q = q.where('last_contact_at', '>=', new Date(a.lastContactAfter).toISOString())
  if (a.lastContactBefore) q = q.where('last_contact_at', '<', new Date(a.lastContactBefore).toISOString())
  const contacts = await details.openRows(db, await q.orderBy('id').execute())
  // The country is read off the opened number: the database holds it sealed. A destroyed key reads as no number.
  return contacts.filter((c): c is typeof c & { wa_id: string } => c.wa_id !== null && (!a.countryCode || c.wa_id.startsWith(a.countryCode)))
}

/**
 * Splits the audience by the consent for the purpose, as the send path will judge it: only a
 * confirmed consent that was not withdrawn or objected to, of a number not on the suppression
 * list, of a person whose data is not restricted (Art. 18), gets the message.
 */
export async function classifyAudience(db: Executor, { consent, details }: AudienceJudges, a: Audience, purpose: string): Promise<Classified> {
  const out: Classified = { eligible: [], excluded: [] }
  const contacts = await audienceContacts(db, details, a)
  const refusals = await consent.refusals(db, contacts.filter((c) => !c.restricted_at).map((c) => ({ id: c.id, waId: c.wa_id })), purpose)
  for (const c of contacts) {
    if (c.restricted_at) {
      out.excluded.push({ contactId: c.id, reason: 'restricted' })
      continue
    }
    const refused = refusals.get(c.id)
    if (refused) out.excluded.push({ contactId: c.id, reason: refused })
    else out.eligible.push({ contactId: c.id, waId: c.wa_id })
  }
  return out
}

/** The preview's counts: how many would get it, and how many are left out for which reason. */
export function previewOf(c: Classified) {
  const reasons: Record<ExclusionReason, number> = { 'no-consent': 0, withdrawn: 0, objected: 0, suppressed: 0, restricted: 0 }
  for (const e of c.excluded) reasons[e.reason]++
  return { matched: c.eligible.length + c.excluded.length, eligible: c.eligible.length, excluded: reasons }
}
