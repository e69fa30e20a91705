import type { Executor } from '../../db/database.js'
import type { ContactRow } from '../../db/schema.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import type { ContactIdentity } from '../whatsapp/webhook-events.js'

/**
 * Finds or creates the contact for a WhatsApp identity. Keyed by the business-scoped user id
 * (BSUID) when present, because a user with a username may arrive without a phone number; falls
 * back to the phone number (wa_id). Fills in whichever identifier was missing. Names are not
 * written here: they come with the customer's webhooks and are sealed there (ContactResolver).
 */
export async function upsertContact(db: Executor, id: Omit<ContactIdentity, 'name'>, at: string): Promise<ContactRow> {
  // One query for both keys; the BSUID match wins.
  const keys = [id.userId ? (['user_id', id.userId] as const) : undefined, id.waId ? (['wa_id', id.waId] as const) : undefined].filter((k) => k !== undefined)
  const candidates = keys.length
    ? await db
        .selectFrom('contacts')
        .selectAll()
        .where((eb) => eb.or(keys.map(([col, value]) => eb(col, '=', value))))
        .execute()
    : []
  const existing = candidates.find((c) => id.userId && c.user_id === id.userId) ?? candidates.find((c) => id.waId && c.wa_id === id.waId)
  const now = nowIso()
  if (!existing) {
    const row: ContactRow = {
      id: newId(),
      wa_id: id.waId ?? null,
      user_id: id.userId ?? null,
      profile_name: null, // names arrive with the customer's webhooks, sealed there (ContactResolver)
      name_override: null,
      restricted_at: null,
      restriction_reason: null,
      erase_after: null,
      erased_at: null,
      consent_used_at: null,
      first_contact_at: at,
      last_contact_at: at,
      created_at: now,
      updated_at: now,
    }
    await db.insertInto('contacts').values(insertableContact(row)).execute()
    return row
  }
  const patch: Partial<ContactRow> = {}
  if (id.waId && !existing.wa_id) patch.wa_id = id.waId
  if (id.userId && !existing.user_id) patch.user_id = id.userId
  if (at > existing.last_contact_at) patch.last_contact_at = at
  if (Object.keys(patch).length === 0) return existing
  await db.updateTable('contacts').set({ ...patch, updated_at: now }).where('id', '=', existing.id).execute()
  return { ...existing, ...patch }
}

/**
 * Follows a number change announced by a `system` message: the contact keeps its history and
 * takes the new number and the new BSUID that WhatsApp issues with it.
 */
export async function applyNumberChange(
  db: Executor,
  contactId: string,
  change: { newWaId: string | undefined; newUserId: string | undefined },
): Promise<void> {
  const patch: Partial<ContactRow> = {}
  if (change.newWaId) patch.wa_id = change.newWaId
  if (change.newUserId) patch.user_id = change.newUserId
  if (Object.keys(patch).length === 0) return
  // A contact that already holds the new identity (the customer wrote from it first) gives it up,
  // so the unique constraints hold; its conversations stay where they are.
  for (const [col, value] of Object.entries(patch) as ['wa_id' | 'user_id', string][]) {
    await db.updateTable('contacts').set({ [col]: null, updated_at: nowIso() }).where(col, '=', value).where('id', '!=', contactId).execute()
  }
  await db.updateTable('contacts').set({ ...patch, updated_at: nowIso() }).where('id', '=', contactId).execute()
}

/** A new contact's row as inserted: `consent_used_at` is the database's own (a trigger keeps it); the app never writes it. */
export function insertableContact(row: ContactRow) {
  const { consent_used_at: _kept, ...rest } = row
  return rest
}
