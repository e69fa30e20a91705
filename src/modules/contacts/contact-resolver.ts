import { sql } from 'kysely'
import type { Executor } from '../../db/database.js'
import { inChunks } from '../../platform/chunks.js'
import { insertRows } from '../../db/insert-rows.js'
import type { ContactRow } from '../../db/schema.js'
import { newId } from '../../platform/ids.js'
import type { ContactDetails } from './contact-details.js'
import { insertableContact } from './contacts.repo.js'
import { nowIso } from '../../platform/time.js'
import type { ContactIdentity } from '../whatsapp/webhook-events.js'

/**
 * Resolves many WhatsApp identities to contacts with one read and at most one insert: keyed by
 * BSUID when present (a username user may come without a phone number), else by wa_id. Fills in
 * a missing identifier and the newest profile name. Call `resolve` for each identity in arrival
 * order, then `flush` once.
 */
export class ContactResolver {
  private readonly byUserId = new Map<string, ContactRow>()
  private readonly byWaId = new Map<string, ContactRow>()
  private readonly created = new Set<ContactRow>()
  private readonly changed = new Set<ContactRow>()
  /** Contacts whose WhatsApp profile name changed: sealed again and entered for search. */
  private readonly renamed = new Set<ContactRow>()
  /** Contacts that got a number or user id they lacked: sealed and entered for search. */
  private readonly identified = new Set<ContactRow>()

  private constructor(private readonly details: ContactDetails) {}

  /** Rows are kept with their details opened; `flush` seals what it writes. */
  static async load(db: Executor, details: ContactDetails, identities: ContactIdentity[]): Promise<ContactResolver> {
    const resolver = new ContactResolver(details)
    const userKeys = [...new Set(identities.flatMap((i) => (i.userId ? [details.lookupKey('user', i.userId)] : [])))]
    const waKeys = [...new Set(identities.flatMap((i) => (i.waId ? [details.lookupKey('wa', i.waId)] : [])))]
    if (userKeys.length + waKeys.length > 0) {
      // One read, or one per slice of 500 user ids and 500 numbers (parameter limits); a contact found twice counts once.
      const found = new Map<string, ContactRow>()
      for (let i = 0; i < Math.max(userKeys.length, waKeys.length); i += 500) {
        const users = userKeys.slice(i, i + 500)
        const numbers = waKeys.slice(i, i + 500)
        const slice = await db
          .selectFrom('contacts')
          .selectAll()
          .where((eb) => eb.or([...(users.length ? [eb('user_key', 'in', users)] : []), ...(numbers.length ? [eb('wa_key', 'in', numbers)] : [])]))
          .execute()
        for (const row of slice) found.set(row.id, row)
      }
      const rows = await details.openRows(db, [...found.values()])
      // A restricted person (erasure under a retention duty) who writes again starts afresh: the kept
      // record lets go of the identifiers and stays hidden; the new message goes to a new contact.
      const restricted = rows.filter((r) => r.restricted_at !== null)
      if (restricted.length) await db.updateTable('contacts').set({ wa_id: null, wa_key: null, user_id: null, user_key: null, updated_at: nowIso() }).where('id', 'in', restricted.map((r) => r.id)).execute()
      for (const row of rows) if (row.restricted_at === null) resolver.index(row)
    }
    return resolver
  }

  resolve(id: ContactIdentity, at: string): ContactRow {
    const existing = (id.userId ? this.byUserId.get(id.userId) : undefined) ?? (id.waId ? this.byWaId.get(id.waId) : undefined)
    if (!existing) {
      const now = nowIso()
      const row: ContactRow = { id: newId(), wa_id: id.waId ?? null, wa_key: null, user_id: id.userId ?? null, user_key: null, profile_name: id.name ?? null, name_override: null, restricted_at: null, restriction_reason: null, erase_after: null, erased_at: null, consent_used_at: null, first_contact_at: at, last_contact_at: at, created_at: now, updated_at: now }
      this.created.add(row)
      this.index(row)
      return row
    }
    let changed = false
    if (id.waId && !existing.wa_id && !this.byWaId.has(id.waId)) {
      existing.wa_id = id.waId
      this.identified.add(existing)
      changed = true
    }
    if (id.userId && !existing.user_id && !this.byUserId.has(id.userId)) {
      existing.user_id = id.userId
      this.identified.add(existing)
      changed = true
    }
    // The newest name wins; a contact we created ourselves (opt-in, first template) has none yet and
    // takes the first one, even when our own send was stamped a moment after the customer's message.
    if (id.name && id.name !== existing.profile_name && (at >= existing.last_contact_at || !existing.profile_name)) {
      existing.profile_name = id.name
      this.renamed.add(existing)
      changed = true
    }
    if (at > existing.last_contact_at) {
      existing.last_contact_at = at
      changed = true
    }
    if (changed && !this.created.has(existing)) this.changed.add(existing)
    this.index(existing)
    return existing
  }

  async flush(db: Executor): Promise<void> {
    if (this.created.size > 0) {
      if (this.created.size > 1) await this.details.prepareKeys(db, [...this.created].map((c) => c.id))
      const rows = []
      for (const c of this.created) rows.push(insertableContact({ ...c, profile_name: await this.details.seal(db, c.id, c.profile_name), ...(await this.details.identifiers(db, c.id, { waId: c.wa_id, userId: c.user_id })) }))
      await insertRows(db, 'contacts', rows)
      await this.details.enterNew(db, [...this.created].map((c) => ({ id: c.id, name: c.profile_name, waId: c.wa_id })))
    }
    const now = nowIso()
    // Most changes only move the last contact time: one statement for all of them (a round trip per
    // contact would hold the group's transaction open that much longer on PostgreSQL). Renamed or
    // newly identified contacts are sealed and entered for search again, one by one.
    const touched: ContactRow[] = []
    const rewritten: ContactRow[] = []
    for (const c of this.changed) (this.renamed.has(c) || this.identified.has(c) ? rewritten : touched).push(c)
    await inChunks(touched, (chunk) =>
      sql`with t(id, at) as (values ${sql.join(chunk.map((c) => sql`(${c.id}, ${c.last_contact_at})`))})
        update contacts set last_contact_at = (select at from t where t.id = contacts.id), updated_at = ${now} where id in (select id from t)`.execute(db),
    )
    for (const c of rewritten) {
      await db
        .updateTable('contacts')
        .set({
          ...(this.identified.has(c) ? await this.details.identifiers(db, c.id, { waId: c.wa_id, userId: c.user_id }) : {}),
          ...(this.renamed.has(c) ? { profile_name: await this.details.seal(db, c.id, c.profile_name) } : {}),
          last_contact_at: c.last_contact_at,
          updated_at: now,
        })
        .where('id', '=', c.id)
        .execute()
      await this.details.enter(db, c.id, { name: c.name_override ?? c.profile_name, waId: c.wa_id })
    }
  }

  private index(row: ContactRow) {
    if (row.user_id) this.byUserId.set(row.user_id, row)
    if (row.wa_id) this.byWaId.set(row.wa_id, row)
  }
}
