import type { Executor } from '../../db/database.js'
import type { ContactDetails } from '../contacts/contact-details.js'
import type { Integrations } from '../integrations/integrations.js'

/**
 * Art. 18 at the person's request: the contact is restricted (hidden from the team, search,
 * sending, campaigns and automations; kept for the auditor). Integrations are told. A restriction
 * kept for a retention duty or a legal hold is not touched.
 */
export async function restrictOnRequest(tx: Executor, o: { integrations: Pick<Integrations, 'notify'>; details: ContactDetails }, contactId: string, now: string): Promise<void> {
  const contact = await o.details.openRow(tx, await tx.selectFrom('contacts').select(['id', 'wa_id', 'restricted_at']).where('id', '=', contactId).executeTakeFirstOrThrow())
  if (contact.restricted_at) return
  await tx.updateTable('contacts').set({ restricted_at: now, restriction_reason: 'request', updated_at: now }).where('id', '=', contactId).execute()
  await o.integrations.notify(tx, { event: 'contact.restricted', contact: { id: contact.id, waId: contact.wa_id }, occurredAt: now, detail: { reason: 'request' } })
}
