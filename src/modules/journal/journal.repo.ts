import { PostgresAdapter, sql } from 'kysely'
import type { DatabaseHandle, Executor } from '../../db/database.js'
import { sha256Hex } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import type { JournalSealer } from '../archive/journal-sealer.js'
import { insertRows } from '../../db/insert-rows.js'

export type JournalKind =
  | 'whatsapp.webhook'
  | 'whatsapp.send_request'
  | 'whatsapp.send_response'
  | 'media.stored'
  | 'archive.erasure'
  | 'archive.release'
  | 'archive.classification'
  | 'archive.hold'
  | 'consent.event'
  | 'privacy.import'

/**
 * PostgreSQL hands out sequence numbers before commit, so entries can become visible out of
 * order. Every append holds this lock shared until its transaction ends, taken before its
 * sequence numbers are drawn; the archive never takes it, it only looks who holds it (see
 * journalHorizon). (Keyed by schema, so separate installations in one database are apart.)
 */
const JOURNAL_LOCK = sql`20261129, hashtext(current_schema())`
const lockJournal = (db: Executor) => sql`select pg_advisory_xact_lock_shared(${JOURNAL_LOCK})`.execute(db)
/** The appenders' lock in `pg_locks` (a lock on two int4 keys: classid, objid, objsubid 2). */
const appendersLock = sql`locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())
  and classid = 20261129 and objid = hashtext(current_schema())::oid and objsubid = 2`

/** How long a horizon waits for appends in flight before it gives up for this round. */
const HORIZON_WAIT_MS = 1000

/**
 * The highest sequence number with no earlier entry still uncommitted; undefined for SQLite, whose
 * single writer commits in order; null when appends stayed in flight too long (try again later).
 *
 * Reads the sequence's last number, then which transactions hold the appenders' lock, and waits
 * until those have ended: every number up to that last one was drawn by one of them or by a
 * transaction already over (the lock comes before the number). Nothing is locked for this, so an
 * append never waits for the archive (an exclusive lock would queue every new append behind it).
 */
export async function journalHorizon(database: DatabaseHandle): Promise<number | null | undefined> {
  if (database.dialect !== 'postgres') return undefined
  // One statement, in this order: the holders are read per row of `last` (a correlated subquery),
  // so after the sequence.
  const { rows } = await sql<{ last: string; holders: string[] }>`
    with last as materialized (select coalesce(pg_sequence_last_value(pg_get_serial_sequence('journal', 'seq')::regclass), 0) as seq)
    select last.seq as last, array(select virtualtransaction from pg_locks where ${appendersLock} and last.seq >= 0) as holders from last`.execute(database.db)
  const last = Number(rows[0]!.last)
  let holders = rows[0]!.holders
  const deadline = Date.now() + HORIZON_WAIT_MS
  while (holders.length > 0) {
    if (Date.now() > deadline) return null
    await new Promise((r) => setTimeout(r, 2))
    const still = await sql<{ holder: string }>`select virtualtransaction as holder from pg_locks where ${appendersLock} and virtualtransaction = any(${holders}::text[])`.execute(database.db)
    holders = still.rows.map((r) => r.holder)
  }
  return last
}

/** How payloads that name customers are sealed (crypto-shredding); absent: stored as received. */
export type Sealing = {
  sealer: Pick<JournalSealer, 'digest' | 'prepare' | 'seal'>
  /** Per content, the customer identities it names. */
  identities: string[][]
}

/**
 * The journal is append-only: this module has no update or delete, and the database refuses both.
 *
 * Appends several entries in one statement, skipping any whose kind and bytes are journaled
 * already (Meta redelivers byte-identical bodies; the first copy is the record). Returns, per
 * input, its sequence number and whether it was a duplicate.
 */
export async function appendEntries(db: Executor, kind: JournalKind, contents: Buffer[], sealing?: Sealing): Promise<{ seq: number; duplicate: boolean }[]> {
  const now = nowIso()
  const hashes = contents.map((c, i) => (sealing?.identities[i]?.length ? sealing.sealer.digest(c) : sha256Hex(c)))
  const firstIndex = new Map<string, number>()
  hashes.forEach((h, i) => {
    if (!firstIndex.has(h)) firstIndex.set(h, i)
  })
  if (sealing) await sealing.sealer.prepare(db, [...firstIndex.values()].map((i) => sealing.identities[i] ?? []), now)
  if (db.getExecutor().adapter instanceof PostgresAdapter) await lockJournal(db)
  const rows = []
  for (const [h, i] of firstIndex) {
    const sealed = sealing ? await sealing.sealer.seal(db, contents[i]!, sealing.identities[i] ?? [], now) : undefined
    rows.push({ received_at: now, kind, content_sha256: h, content: sealed?.stored ?? contents[i]!, key_id: sealed ? sealed.keyIds.join(',') : null, commitment: sealed?.commitment ?? null, stored_sha256: sealed ? sha256Hex(sealed.stored) : null })
  }
  const inserted = await insertRows<'journal', { seq: number; content_sha256: string }>(db, 'journal', rows, 'on conflict ("kind", "content_sha256") do nothing returning "seq", "content_sha256"')
  // Matched by hash, not by position: RETURNING does not promise an order.
  const seqOf = new Map(inserted.map((r) => [r.content_sha256, Number(r.seq)]))
  const missing = hashes.filter((h) => !seqOf.has(h))
  const earlier = missing.length
    ? await db.selectFrom('journal').select(['seq', 'content_sha256']).where('kind', '=', kind).where('content_sha256', 'in', [...new Set(missing)]).execute()
    : []
  const earlierSeq = new Map(earlier.map((r) => [r.content_sha256, Number(r.seq)]))
  return hashes.map((h, i) => {
    const fresh = seqOf.get(h)
    return fresh !== undefined && firstIndex.get(h) === i ? { seq: fresh, duplicate: false } : { seq: fresh ?? earlierSeq.get(h)!, duplicate: true }
  })
}
