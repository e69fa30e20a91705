import { createCipheriv, createDecipheriv } from 'node:crypto'
import type { Db, Executor } from '../../db/database.js'
import { pooledRandom } from '../../platform/crypto/random-pool.js'
import type { SecretBox } from '../../platform/crypto/secret-box.js'
import type { DataKeys } from '../archive/data-keys.js'
import { BlindIndex } from '../search/blind-index.js'

/** A sealed name in `contacts.profile_name` / `name_override`: `n1:` + key id + `:` + base64(iv ‖ tag ‖ ciphertext). */
const PREFIX = 'n1:'
/** The data-key period of contact details: not a year, so the expiry pass never takes it; an erasure destroys it with the person's other keys. */
const DETAILS_PERIOD = 'details'

/** The identity a contact's data (message contents, names) is sealed for: the contact, whatever its number becomes. */
export const contentIdentity = (contactId: string) => `contact:${contactId}`

type Named = { id: string; profile_name: string | null; name_override: string | null }

/**
 * Contact names at rest (GDPR-32, crypto-shredding): sealed with AES-256-GCM under the contact's
 * data key (the same key store and identity as their message contents), bound to the contact id,
 * and found by a blind index of the shown name's words (`contact_terms`), as messages are. Names
 * are opened here and nowhere else; once the key is destroyed they read as none. Plain names from
 * before (an upgraded installation, other tools) are read as they are until the start-up pass.
 */
export class ContactNames {
  readonly index: BlindIndex

  constructor(
    private readonly keys: DataKeys,
    box: Pick<SecretBox, 'deriveKey'>,
  ) {
    this.index = new BlindIndex(box.deriveKey('postfach:contact-terms:v1'))
  }

  /** A name sealed for storing (in the caller's transaction, which makes the key when missing). */
  async seal(tx: Executor, contactId: string, name: string | null): Promise<string | null> {
    if (name === null) return null
    const [key] = await this.keys.keysFor(tx, [contentIdentity(contactId)], DETAILS_PERIOD)
    const iv = pooledRandom(12)
    const c = createCipheriv('aes-256-gcm', key!.key, iv).setAAD(Buffer.from(`contact-name:${contactId}`))
    const body = Buffer.concat([c.update(name, 'utf8'), c.final()])
    return `${PREFIX}${key!.id}:${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64')}`
  }

  /** A stored name opened; null when none or its key was destroyed; a plain one as it is. */
  async open(db: Executor, contactId: string, stored: string | null): Promise<string | null> {
    if (stored === null || !stored.startsWith(PREFIX)) return stored
    const split = stored.indexOf(':', PREFIX.length)
    const key = await this.keys.key(db, stored.slice(PREFIX.length, split))
    if (!key) return null
    const raw = Buffer.from(stored.slice(split + 1), 'base64')
    const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12)).setAAD(Buffer.from(`contact-name:${contactId}`))
    d.setAuthTag(raw.subarray(12, 28))
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')
  }

  /** Reads the keys of many stored names at once (each contact has its own). */
  async preload(db: Executor, stored: (string | null)[]): Promise<void> {
    const ids = stored.flatMap((v) => (v?.startsWith(PREFIX) ? [v.slice(PREFIX.length, v.indexOf(':', PREFIX.length))] : []))
    if (ids.length > 1) await this.keys.preload(db, ids)
  }

  /** Rows with both names opened (new objects). `idOf` names the contact id column when it is not `id`. */
  async openRows<T extends Omit<Named, 'id'>>(db: Executor, rows: T[], idOf: (r: T) => string = (r) => (r as unknown as Named).id): Promise<T[]> {
    await this.preload(db, rows.flatMap((r) => [r.profile_name, r.name_override]))
    const out: T[] = []
    for (const r of rows) out.push({ ...r, profile_name: await this.open(db, idOf(r), r.profile_name), name_override: await this.open(db, idOf(r), r.name_override) })
    return out
  }

  /** The name shown for a contact (a rectified one wins), opened. */
  async shown(db: Executor, r: Named): Promise<string | null> {
    return (await this.open(db, r.id, r.name_override)) ?? (await this.open(db, r.id, r.profile_name))
  }

  /** Enters the shown name's words for search, replacing what was entered before (in the caller's transaction). */
  async enter(tx: Executor, contactId: string, shownName: string | null): Promise<void> {
    await tx.deleteFrom('contact_terms').where('contact_id', '=', contactId).execute()
    const terms = shownName ? this.index.termsOf(shownName) : []
    if (terms.length) await tx.insertInto('contact_terms').values(terms.map((term) => ({ term, contact_id: contactId }))).onConflict((oc) => oc.doNothing()).execute()
  }

  /** Ids of contacts entered under every query term's hash (a subquery). */
  matching(db: Executor, terms: string[]) {
    const [first, ...rest] = [...terms].sort((a, b) => b.length - a.length).map((t) => this.index.termOfQuery(t))
    let q = db.selectFrom('contact_terms as t0').select('t0.contact_id').where('t0.term', '=', first!)
    for (const term of new Set(rest)) {
      if (term === first) continue
      q = q.where(({ exists, selectFrom }) => exists(selectFrom('contact_terms as t').select('t.term').where('t.term', '=', term).whereRef('t.contact_id', '=', 't0.contact_id')))
    }
    return q
  }
}

/** Rectification history with its names opened (sealed like the contact's names). */
export async function openCorrections<T extends { contact_id: string; old_value: string | null; new_value: string }>(db: Executor, names: ContactNames, rows: T[]): Promise<T[]> {
  const out: T[] = []
  for (const r of rows) out.push({ ...r, old_value: await names.open(db, r.contact_id, r.old_value), new_value: (await names.open(db, r.contact_id, r.new_value)) ?? '' })
  return out
}

/**
 * Seals and indexes the names stored before contact names were encrypted (an upgraded
 * installation): in batches, each in its own transaction. Returns how many contacts.
 */
export async function sealStoredNames(db: Db, names: ContactNames, batch = 500): Promise<number> {
  let sealed = 0
  for (;;) {
    const n = await db.transaction().execute(async (tx) => {
      const plain = await tx
        .selectFrom('contacts')
        .select(['id', 'profile_name', 'name_override'])
        .where((eb) => eb.or([eb.and([eb('profile_name', 'is not', null), eb('profile_name', 'not like', `${PREFIX}%`)]), eb.and([eb('name_override', 'is not', null), eb('name_override', 'not like', `${PREFIX}%`)])]))
        .limit(batch)
        .execute()
      for (const c of plain) {
        const profile = await names.open(tx, c.id, c.profile_name)
        const override = await names.open(tx, c.id, c.name_override)
        await tx.updateTable('contacts').set({ profile_name: await names.seal(tx, c.id, profile), name_override: await names.seal(tx, c.id, override) }).where('id', '=', c.id).execute()
        await names.enter(tx, c.id, override ?? profile)
      }
      return plain.length
    })
    sealed += n
    if (n < batch) break
  }
  // The rectification history keeps names too.
  for (;;) {
    const n = await db.transaction().execute(async (tx) => {
      const plain = await tx
        .selectFrom('contact_corrections')
        .select(['id', 'contact_id', 'old_value', 'new_value'])
        .where((eb) => eb.or([eb('new_value', 'not like', `${PREFIX}%`), eb.and([eb('old_value', 'is not', null), eb('old_value', 'not like', `${PREFIX}%`)])]))
        .limit(batch)
        .execute()
      for (const c of plain) {
        const [old, now] = [await names.open(tx, c.contact_id, c.old_value), await names.open(tx, c.contact_id, c.new_value)]
        await tx.updateTable('contact_corrections').set({ old_value: await names.seal(tx, c.contact_id, old), new_value: (await names.seal(tx, c.contact_id, now))! }).where('id', '=', c.id).execute()
      }
      return plain.length
    })
    if (n < batch) return sealed
  }
}
