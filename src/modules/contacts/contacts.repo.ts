import type { Executor } from '../../db/database.js'
import type { ContactRow } from '../../db/schema.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import type { ContactIdentity } from '../whatsapp/webhook-events.js'
import type { ContactDetails } from './contact-details.js'

/**
 * Finds or creates the contact for a WhatsApp identity. Keyed by the business-scoped user id
 * (BSUID) when present, because a user with a username may arrive without a phone number; falls
 * back to the phone number (wa_id), both looked up by their keyed hashes. Fills in whichever
 * identifier was missing. Returns the row with its identifiers opened. Names are not written here:
 * they come with the customer's webhooks and are sealed there (ContactResolver).
 */
export async function upsertContact(db: Executor, details: ContactDetails, id: Omit<ContactIdentity, 'name'>, at: string): Promise<ContactRow> {
  // One query for both keys; the BSUID match wins.
  const userKey = id.userId ? details.lookupKey('user', id.userId) : undefined
  const waKey = id.waId ? details.lookupKey('wa', id.waId) : undefined
  const keys = [userKey ? (['user_key', userKey] as const) : undefined, waKey ? (['wa_key', waKey] as const) : undefined].filter((k) => k !== undefined)
  const candidates = keys.length
    ? await db
        .selectFrom('contacts')
        .selectAll()
        .where((eb) => eb.or(keys.map(([col, value]) => eb(col, '=', value))))
        .execute()
    : []
  const found = candidates.find((c) => userKey && c.user_key === userKey) ?? candidates.find((c) => waKey && c.wa_key === waKey)
  const now = nowIso()
  if (!found) {
    const row: ContactRow = {
      id: newId(),
      wa_id: id.waId ?? null,
      wa_key: null,
      user_id: id.userId ?? null,
      user_key: null,
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
    const stored = await details.identifiers(db, row.id, { waId: row.wa_id, userId: row.user_id })
    await db.insertInto('contacts').values(insertableContact({ ...row, ...stored })).execute()
    if (row.wa_id) await details.enter(db, row.id, { name: null, waId: row.wa_id })
    return { ...row, wa_key: stored.wa_key ?? null, user_key: stored.user_key ?? null }
  }
  const existing = await details.openRow(db, found)
  // The identifiers it lacked, and a later contact time: written sealed, returned opened.
  const filled = { wa_id: id.waId && !existing.wa_id ? id.waId : null, user_id: id.userId && !existing.user_id ? id.userId : null }
  const later = at > existing.last_contact_at ? { last_contact_at: at } : {}
  if (!filled.wa_id && !filled.user_id && !('last_contact_at' in later)) return existing
  const stored = await details.identifiers(db, existing.id, { waId: filled.wa_id ?? undefined, userId: filled.user_id ?? undefined })
  await db.updateTable('contacts').set({ ...stored, ...later, updated_at: now }).where('id', '=', existing.id).execute()
  if (filled.wa_id) await details.enter(db, existing.id, { name: existing.name_override ?? existing.profile_name, waId: filled.wa_id })
  return { ...existing, ...later, wa_id: existing.wa_id ?? filled.wa_id, wa_key: stored.wa_key ?? existing.wa_key, user_id: existing.user_id ?? filled.user_id, user_key: stored.user_key ?? existing.user_key }
}

/**
 * Follows a number change announced by a `system` message: the contact keeps its history and
 * takes the new number and the new BSUID that WhatsApp issues with it.
 */
export async function applyNumberChange(
  db: Executor,
  details: ContactDetails,
  contactId: string,
  change: { newWaId: string | undefined; newUserId: string | undefined },
): Promise<void> {
  if (!change.newWaId && !change.newUserId) return
  // A contact that already holds the new identity (the customer wrote from it first) gives it up,
  // so the unique keys hold; its conversations stay where they are.
  if (change.newWaId) await db.updateTable('contacts').set({ wa_id: null, wa_key: null, updated_at: nowIso() }).where('wa_key', '=', details.lookupKey('wa', change.newWaId)).where('id', '!=', contactId).execute()
  if (change.newUserId) await db.updateTable('contacts').set({ user_id: null, user_key: null, updated_at: nowIso() }).where('user_key', '=', details.lookupKey('user', change.newUserId)).where('id', '!=', contactId).execute()
  await db
    .updateTable('contacts')
    .set({ ...(await details.identifiers(db, contactId, { waId: change.newWaId, userId: change.newUserId })), updated_at: nowIso() })
    .where('id', '=', contactId)
    .execute()
  if (change.newWaId) {
    const contact = await db.selectFrom('contacts').select(['id', 'profile_name', 'name_override']).where('id', '=', contactId).executeTakeFirstOrThrow()
    await details.enter(db, contactId, { name: await details.shown(db, contact), waId: change.newWaId })
  }
}

/** A new contact's row as inserted: `consent_used_at` is the database's own (a trigger keeps it); the app never writes it. */
export function insertableContact(row: ContactRow) {
  const { consent_used_at: _kept, ...rest } = row
  return rest
}
