import { createHmac, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Executor } from '../../db/database.js'
import type { SecretBox } from '../../platform/crypto/secret-box.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import { collectChunks } from '../../platform/chunks.js'
import { insertRows } from '../../db/insert-rows.js'

export type DataKey = { id: string; key: Buffer }

/** A customer identity as the keys know it: digits of a number, or a BSUID as given. */
const normalise = (identity: string) => (/^\+?[\d\s()-]+$/.test(identity) ? identity.replace(/\D/g, '') : identity)

/**
 * The key store of crypto-shredding: one AES-256 key per customer identity and calendar year,
 * wrapped by the master key (SecretBox) in `data_keys`. Identities appear only as keyed hashes.
 * Destroying a key drops its wrapped form and appends its id to `DATA_DIR/shredded-keys`, a
 * tombstone list kept outside the database: a database restored from an older backup has the key
 * again, and the next start destroys it once more (SHRED-3).
 */
export class DataKeys {
  private readonly cache = new Map<string, Buffer | null>() // id → key (null: destroyed)
  private readonly ids = new Map<string, string>() // `${ref}|${period}` → id
  /**
   * Keys made by a transaction that may yet roll back (a failed ingest group): the next use looks
   * once — from another transaction — whether the row is there, so nothing is ever sealed with a
   * key that was never stored. (id → the transaction that made it)
   */
  private readonly unconfirmed = new Map<string, Executor>()
  /** The transaction that last looked at all unconfirmed keys. */
  private sweptIn: Executor | undefined
  private readonly refKey: Buffer

  constructor(
    private readonly box: SecretBox,
    private readonly dataDir: string,
  ) {
    this.refKey = box.deriveKey('postfach:subject-ref:v1')
  }

  private get tombstones() {
    return path.join(this.dataDir, 'shredded-keys')
  }

  private readonly refs = new Map<string, string>()

  subjectRef(identity: string): string {
    let ref = this.refs.get(identity)
    if (ref === undefined) {
      ref = createHmac('sha256', this.refKey).update(normalise(identity)).digest('hex').slice(0, 40)
      if (this.refs.size > 100_000) this.refs.clear() // a bound, not an eviction policy: refs are cheap to recompute
      this.refs.set(identity, ref)
    }
    return ref
  }

  /** The keys for these identities and period, made when missing (in the caller's transaction). */
  async keysFor(tx: Executor, identities: string[], period: string): Promise<DataKey[]> {
    const refs = [...new Set(identities.map((i) => this.subjectRef(i)))].sort()
    const toConfirm = refs.map((r) => this.ids.get(`${r}|${period}`)).filter((id): id is string => id !== undefined && this.unconfirmed.has(id))
    // Keys made once and not used again are looked at together once there are many (a bound), once
    // per transaction: a batch that makes thousands of keys must not walk them all for each one.
    if (this.unconfirmed.size > 2000 && this.sweptIn !== tx) {
      this.sweptIn = tx
      toConfirm.push(...this.unconfirmed.keys())
    }
    await this.confirm(tx, [...new Set(toConfirm)].filter((id) => this.unconfirmed.get(id) !== tx))
    const missing = refs.filter((r) => !this.ids.has(`${r}|${period}`))
    if (missing.length) {
      const now = nowIso()
      const fresh = missing.map((ref) => {
        const id = newId()
        return { id, subject_ref: ref, period, wrapped: this.box.seal(randomBytes(32).toString('base64'), `data-key:${id}`), created_at: now, destroyed_at: null, destroyed_reason: null }
      })
      await insertRows(tx, 'data_keys', fresh, 'on conflict ("subject_ref", "period") do nothing')
      const rows = await collectChunks(missing, (refs) => tx.selectFrom('data_keys').select(['id', 'subject_ref', 'wrapped']).where('period', '=', period).where('subject_ref', 'in', refs).execute())
      const made = new Set(fresh.map((f) => f.id))
      for (const r of rows) {
        if (made.has(r.id)) this.unconfirmed.set(r.id, tx)
        this.ids.set(`${r.subject_ref}|${period}`, r.id)
        this.cache.set(r.id, r.wrapped ? Buffer.from(this.box.open(r.wrapped, `data-key:${r.id}`), 'base64') : null)
      }
    }
    const out: DataKey[] = []
    for (const ref of refs) {
      const id = this.ids.get(`${ref}|${period}`)!
      let key = this.cache.get(id)
      // A destroyed key for this person and year: they wrote again after an erasure. New data, new key.
      if (!key) key = await this.replace(tx, ref, period, id)
      out.push({ id: this.ids.get(`${ref}|${period}`)!, key })
    }
    return out
  }

  /** Forgets keys whose making transaction rolled back; the others are confirmed. */
  private async confirm(tx: Executor, ids: string[]): Promise<void> {
    if (ids.length === 0) return
    const stored = new Set((await collectChunks(ids, (chunk) => tx.selectFrom('data_keys').select('id').where('id', 'in', chunk).execute())).map((r) => r.id))
    for (const id of ids) {
      this.unconfirmed.delete(id)
      if (stored.has(id)) continue
      this.cache.delete(id)
      for (const [k, v] of this.ids) if (v === id) this.ids.delete(k)
    }
  }

  private async replace(tx: Executor, ref: string, period: string, destroyedId: string): Promise<Buffer> {
    const id = newId()
    const key = randomBytes(32)
    // The unique (subject, period) row is the destroyed one: the new key takes a suffixed period.
    const suffixed = `${period}#${destroyedId.slice(0, 8)}`
    await tx.insertInto('data_keys').values({ id, subject_ref: ref, period: suffixed, wrapped: this.box.seal(key.toString('base64'), `data-key:${id}`), created_at: nowIso(), destroyed_at: null, destroyed_reason: null }).onConflict((oc) => oc.columns(['subject_ref', 'period']).doNothing()).execute()
    const row = await tx.selectFrom('data_keys').select(['id', 'wrapped']).where('subject_ref', '=', ref).where('period', '=', suffixed).executeTakeFirstOrThrow()
    const opened = Buffer.from(this.box.open(row.wrapped!, `data-key:${row.id}`), 'base64')
    if (row.id === id) this.unconfirmed.set(id, tx)
    this.ids.set(`${ref}|${period}`, row.id)
    this.cache.set(row.id, opened)
    return opened
  }

  /** Loads the keys not cached yet in one read per thousand (before opening many rows, each with its own key). */
  async preload(db: Executor, ids: string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.cache.has(id))
    for (let i = 0; i < missing.length; i += 1000) {
      const rows = await db.selectFrom('data_keys').select(['id', 'wrapped']).where('id', 'in', missing.slice(i, i + 1000)).execute()
      for (const row of rows) this.cache.set(row.id, row.wrapped ? Buffer.from(this.box.open(row.wrapped, `data-key:${row.id}`), 'base64') : null)
    }
  }

  /** A key by id; undefined once destroyed. */
  async key(db: Executor, id: string): Promise<Buffer | undefined> {
    if (this.cache.has(id)) return this.cache.get(id) ?? undefined
    const row = await db.selectFrom('data_keys').select(['id', 'wrapped']).where('id', '=', id).executeTakeFirst()
    const key = row?.wrapped ? Buffer.from(this.box.open(row.wrapped, `data-key:${row.id}`), 'base64') : null
    this.cache.set(id, key)
    return key ?? undefined
  }

  /** Every live key of these identities (all periods). */
  async liveKeysOf(db: Executor, identities: string[]): Promise<string[]> {
    const refs = identities.map((i) => this.subjectRef(i))
    if (!refs.length) return []
    return (await db.selectFrom('data_keys').select('id').where('subject_ref', 'in', refs).where('wrapped', 'is not', null).execute()).map((r) => r.id)
  }

  /**
   * Destroys keys for good: the wrapped form goes, and the ids (and whose erasure it was) are
   * written to the tombstone list before the transaction commits, so a crash never leaves a
   * destroyed key unrecorded.
   */
  async destroy(tx: Executor, ids: string[], reason: string, contactId?: string): Promise<void> {
    await tx.updateTable('data_keys').set({ wrapped: null, destroyed_at: nowIso(), destroyed_reason: reason }).where('id', 'in', ids.length ? ids : ['-']).where('wrapped', 'is not', null).execute()
    fs.mkdirSync(this.dataDir, { recursive: true })
    const fd = fs.openSync(this.tombstones, 'a', 0o600)
    try {
      fs.writeSync(fd, [...ids.map((id) => `key ${id}\n`), ...(contactId ? [`contact ${contactId}\n`] : [])].join(''))
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    for (const id of ids) this.cache.set(id, null)
    for (const [k, v] of this.ids) if (ids.includes(v)) this.ids.delete(k)
  }

  /** The tombstone list: shredded key ids, and the contacts whose erasure shredded them. */
  tombstoneList(): { keys: string[]; contacts: string[] } {
    if (!fs.existsSync(this.tombstones)) return { keys: [], contacts: [] }
    const lines = fs.readFileSync(this.tombstones, 'utf8').split('\n')
    const of = (kind: string) => [...new Set(lines.filter((l) => l.startsWith(`${kind} `)).map((l) => l.slice(kind.length + 1)))]
    return { keys: of('key'), contacts: of('contact') }
  }

  /** At start: keys listed as shredded but present again (a restored backup) are destroyed again. */
  async reapplyTombstones(db: Executor): Promise<number> {
    const ids = this.tombstoneList().keys
    let again = 0
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500)
      const live = await db.selectFrom('data_keys').select('id').where('id', 'in', chunk).where('wrapped', 'is not', null).execute()
      if (live.length) {
        await db.updateTable('data_keys').set({ wrapped: null, destroyed_at: nowIso(), destroyed_reason: 'shredded before; restored from a backup' }).where('id', 'in', live.map((r) => r.id)).execute()
        again += live.length
      }
    }
    for (const id of ids) this.cache.set(id, null)
    return again
  }
}
