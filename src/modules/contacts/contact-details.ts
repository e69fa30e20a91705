import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto'
import type { ExpressionBuilder } from 'kysely'
import type { Db, Executor } from '../../db/database.js'
import type { Database } from '../../db/schema.js'
import { pooledRandom } from '../../platform/crypto/random-pool.js'
import type { SecretBox } from '../../platform/crypto/secret-box.js'
import type { DataKeys } from '../archive/data-keys.js'
import { BlindIndex } from '../search/blind-index.js'
import { insertRows } from '../../db/insert-rows.js'
import { inChunks } from '../../platform/chunks.js'

/** A sealed detail in `contacts` (names, number, user id): `n1:` + key id + `:` + base64(iv ‖ tag ‖ ciphertext). */
export const SEALED_PREFIX = 'n1:'
/** The data-key period of contact details: not a year, so the expiry pass never takes it; an erasure destroys it with the person's other keys. */
const DETAILS_PERIOD = 'details'

/** The identity a contact's data (message contents, details) is sealed for: the contact, whatever its number becomes. */
export const contentIdentity = (contactId: string) => `contact:${contactId}`

/** What a sealed value is bound to besides the contact (a name cannot be moved into the number column). */
export type DetailField = 'name' | 'number' | 'user-id' | 'note' | 'request-note' | 'classification-reason'
const LABEL: Record<DetailField, string> = { name: 'contact-name', number: 'contact-number', 'user-id': 'contact-user-id', note: 'contact-note', 'request-note': 'request-note', 'classification-reason': 'classification-reason' }

/** The shortest ending of a number that search looks up (fewer digits would name too many contacts). */
const MIN_NUMBER_DIGITS = 4

/** What search finds a contact by: the shown name and the number, both opened. */
type Shown = { name: string | null; waId: string | null }
type Named = { id: string; profile_name: string | null; name_override: string | null }
type Details = { profile_name?: string | null; name_override?: string | null; wa_id?: string | null; user_id?: string | null }

/** The identifiers as written to `contacts`: sealed, with the keyed hashes lookups use. */
export type StoredIdentifiers = { wa_id?: string | null; wa_key?: string | null; user_id?: string | null; user_key?: string | null }

/**
 * Contact details at rest (GDPR-32, crypto-shredding): names, the phone number (wa_id) and the
 * business-scoped user id are sealed with AES-256-GCM under the contact's data key (the same key
 * store and identity as their message contents), bound to the contact id and the field. Lookups by
 * number or user id go through keyed hashes (`wa_key`, `user_key`; HMAC with a key derived from
 * the master key, so a dump alone cannot test numbers against them). Search uses a blind index
 * (`contact_terms`) of the shown name's words and of the number's endings. Details are opened here
 * and nowhere else; once the key is destroyed they read as none. Plain values from before (an
 * upgraded installation, other tools) are read as they are until the start-up pass.
 */
export class ContactDetails {
  readonly index: BlindIndex
  private readonly lookupSecret: Buffer

  constructor(
    private readonly keys: DataKeys,
    box: Pick<SecretBox, 'deriveKey'>,
  ) {
    this.index = new BlindIndex(box.deriveKey('postfach:contact-terms:v1'))
    this.lookupSecret = box.deriveKey('postfach:contact-lookup:v1')
  }

  /** The keyed hash a number (`wa`) or user id (`user`) is looked up by. */
  lookupKey(kind: 'wa' | 'user', value: string): string {
    return createHmac('sha256', this.lookupSecret).update(`${kind}:${value}`).digest().subarray(0, 16).toString('base64url')
  }

  /** A detail sealed for storing (in the caller's transaction, which makes the key when missing). */
  async seal(tx: Executor, contactId: string, value: string | null, field: DetailField = 'name'): Promise<string | null> {
    if (value === null) return null
    const [key] = await this.keys.keysFor(tx, [contentIdentity(contactId)], DETAILS_PERIOD)
    const iv = pooledRandom(12)
    const c = createCipheriv('aes-256-gcm', key!.key, iv).setAAD(Buffer.from(`${LABEL[field]}:${contactId}`))
    const body = Buffer.concat([c.update(value, 'utf8'), c.final()])
    return `${SEALED_PREFIX}${key!.id}:${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64')}`
  }

  /** A stored detail opened; null when none or its key was destroyed; a plain one as it is. */
  async open(db: Executor, contactId: string, stored: string | null, field: DetailField = 'name'): Promise<string | null> {
    if (stored === null || !stored.startsWith(SEALED_PREFIX)) return stored
    const split = stored.indexOf(':', SEALED_PREFIX.length)
    const key = await this.keys.key(db, stored.slice(SEALED_PREFIX.length, split))
    if (!key) return null
    const raw = Buffer.from(stored.slice(split + 1), 'base64')
    const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12)).setAAD(Buffer.from(`${LABEL[field]}:${contactId}`))
    d.setAuthTag(raw.subarray(12, 28))
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')
  }

  /** The columns to write for a contact's identifiers (only those given; null clears one). */
  async identifiers(tx: Executor, contactId: string, id: { waId?: string | null | undefined; userId?: string | null | undefined }): Promise<StoredIdentifiers> {
    const out: StoredIdentifiers = {}
    if (id.waId !== undefined) Object.assign(out, { wa_id: await this.seal(tx, contactId, id.waId, 'number'), wa_key: id.waId === null ? null : this.lookupKey('wa', id.waId) })
    if (id.userId !== undefined) Object.assign(out, { user_id: await this.seal(tx, contactId, id.userId, 'user-id'), user_key: id.userId === null ? null : this.lookupKey('user', id.userId) })
    return out
  }

  /** Reads the keys of many stored details at once (each contact has its own). */
  async preload(db: Executor, stored: (string | null | undefined)[]): Promise<void> {
    const ids = stored.flatMap((v) => (v?.startsWith(SEALED_PREFIX) ? [v.slice(SEALED_PREFIX.length, v.indexOf(':', SEALED_PREFIX.length))] : []))
    if (ids.length > 1) await this.keys.preload(db, [...new Set(ids)])
  }

  /** Rows with the details they carry opened (new objects). `idOf` names the contact id column when it is not `id`. */
  async openRows<T extends Details>(db: Executor, rows: T[], idOf: (r: T) => string = (r) => (r as unknown as { id: string }).id): Promise<T[]> {
    await this.preload(db, rows.flatMap((r) => [r.profile_name, r.name_override, r.wa_id, r.user_id]))
    const out: T[] = []
    for (const r of rows) {
      const id = idOf(r)
      const o = { ...r }
      if (r.profile_name !== undefined) o.profile_name = await this.open(db, id, r.profile_name)
      if (r.name_override !== undefined) o.name_override = await this.open(db, id, r.name_override)
      if (r.wa_id !== undefined) o.wa_id = await this.open(db, id, r.wa_id, 'number')
      if (r.user_id !== undefined) o.user_id = await this.open(db, id, r.user_id, 'user-id')
      out.push(o)
    }
    return out
  }

  /** One row with its details opened. */
  async openRow<T extends Details & { id: string }>(db: Executor, row: T): Promise<T>
  async openRow<T extends Details & { id: string }>(db: Executor, row: T | undefined): Promise<T | undefined>
  async openRow<T extends Details & { id: string }>(db: Executor, row: T | undefined): Promise<T | undefined> {
    return row && (await this.openRows(db, [row]))[0]
  }

  /** The name shown for a contact (a rectified one wins), opened. */
  async shown(db: Executor, r: Named): Promise<string | null> {
    return (await this.open(db, r.id, r.name_override)) ?? (await this.open(db, r.id, r.profile_name))
  }

  /**
   * Enters the shown name's words and the number's endings for search, replacing what was entered
   * before (in the caller's transaction). Both come opened.
   */
  async enter(tx: Executor, contactId: string, shown: Shown): Promise<void> {
    await tx.deleteFrom('contact_terms').where('contact_id', '=', contactId).execute()
    await this.enterNew(tx, [{ id: contactId, ...shown }])
  }

  /** Enters contacts that have no terms yet (just created) for search, in one statement for all. */
  async enterNew(tx: Executor, contacts: ({ id: string } & Shown)[]): Promise<void> {
    await insertRows(tx, 'contact_terms', contacts.flatMap((c) => this.termsOf(c).map((term) => ({ term, contact_id: c.id }))), 'on conflict do nothing')
  }

  /** Makes the details keys of many new contacts together (a statement per thousand, not one per contact). */
  async prepareKeys(tx: Executor, contactIds: string[]): Promise<void> {
    await inChunks(contactIds.map(contentIdentity), (identities) => this.keys.keysFor(tx, identities, DETAILS_PERIOD), 1000)
  }

  private termsOf(shown: Shown): number[] {
    const terms = new Set(shown.name ? this.index.termsOf(shown.name) : [])
    for (let n = MIN_NUMBER_DIGITS; shown.waId && n <= shown.waId.length; n++) terms.add(this.numberTerm(shown.waId.slice(-n)))
    return [...terms]
  }

  /** A number ending's hash: `#` keeps it apart from words, which never contain one. */
  private numberTerm(ending: string): number {
    return this.index.hash(`#${ending}`)
  }

  /** Ids of contacts entered under every query term's hash (a subquery). */
  matching(db: Executor, terms: string[]) {
    const [first, ...rest] = this.index.queryHashes(terms)
    let q = db.selectFrom('contact_terms as t0').select('t0.contact_id').where('t0.term', '=', first!)
    for (const term of rest) {
      q = q.where(({ exists, selectFrom }) => exists(selectFrom('contact_terms as t').select('t.term').where('t.term', '=', term).whereRef('t.contact_id', '=', 't0.contact_id')))
    }
    return q
  }

  /** Ids of contacts whose number ends with one of the endings (a subquery); see `numberEndings`. */
  numberMatching(db: Executor, endings: string[]) {
    return db.selectFrom('contact_terms').select('contact_id').where('term', 'in', endings.map((e) => this.numberTerm(e)))
  }

  /**
   * The endings a query finds numbers by (at least four digits each; none when it has fewer): its
   * digits as typed (the last digits of a number, "0030"), and without leading zeros, so that a
   * national (0151 …) or international (0049 …, +49 …) form finds the whole number.
   */
  static numberEndings(q: string): string[] {
    const digits = q.replaceAll(/\D/g, '')
    return [...new Set([digits, digits.replace(/^0+/, '')])].filter((d) => d.length >= MIN_NUMBER_DIGITS)
  }
}

/** Rectification history with its names opened (sealed like the contact's names). */
export async function openCorrections<T extends { contact_id: string; old_value: string | null; new_value: string }>(db: Executor, details: ContactDetails, rows: T[]): Promise<T[]> {
  const out: T[] = []
  for (const r of rows) out.push({ ...r, old_value: await details.open(db, r.contact_id, r.old_value), new_value: (await details.open(db, r.contact_id, r.new_value)) ?? '' })
  return out
}

/**
 * Seals and indexes the details stored before contact details were encrypted (an upgraded
 * installation): in batches, each in its own transaction. Returns how many contacts.
 */
export async function sealStoredDetails(db: Db, details: ContactDetails, batch = 500): Promise<number> {
  let sealed = 0
  const plain = (eb: ExpressionBuilder<Database, 'contacts'>, column: 'profile_name' | 'name_override' | 'wa_id' | 'user_id') => eb.and([eb(column, 'is not', null), eb(column, 'not like', `${SEALED_PREFIX}%`)])
  for (;;) {
    const n = await db.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('contacts')
        .select(['id', 'profile_name', 'name_override', 'wa_id', 'user_id'])
        .where((eb) => eb.or([plain(eb, 'profile_name'), plain(eb, 'name_override'), plain(eb, 'wa_id'), plain(eb, 'user_id')]))
        .limit(batch)
        .execute()
      for (const c of await details.openRows(tx, rows)) {
        await tx
          .updateTable('contacts')
          .set({ profile_name: await details.seal(tx, c.id, c.profile_name), name_override: await details.seal(tx, c.id, c.name_override), ...(await details.identifiers(tx, c.id, { waId: c.wa_id, userId: c.user_id })) })
          .where('id', '=', c.id)
          .execute()
        await details.enter(tx, c.id, { name: c.name_override ?? c.profile_name, waId: c.wa_id })
      }
      return rows.length
    })
    sealed += n
    if (n < batch) break
  }
  // The rectification history keeps names too.
  for (;;) {
    const n = await db.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('contact_corrections')
        .select(['id', 'contact_id', 'old_value', 'new_value'])
        .where((eb) => eb.or([eb('new_value', 'not like', `${SEALED_PREFIX}%`), eb.and([eb('old_value', 'is not', null), eb('old_value', 'not like', `${SEALED_PREFIX}%`)])]))
        .limit(batch)
        .execute()
      for (const c of rows) {
        const [old, now] = [await details.open(tx, c.contact_id, c.old_value), await details.open(tx, c.contact_id, c.new_value)]
        await tx.updateTable('contact_corrections').set({ old_value: await details.seal(tx, c.contact_id, old), new_value: (await details.seal(tx, c.contact_id, now))! }).where('id', '=', c.id).execute()
      }
      return rows.length
    })
    if (n < batch) return sealed
  }
}
