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
 * order. Every append holds this lock shared until its transaction ends; the archive takes it
 * exclusively for an instant to learn a sequence number below which nothing is still in flight.
 * (Keyed by schema, so separate installations in one database do not wait for each other.)
 */
const lockJournal = (db: Executor) => sql`select pg_advisory_xact_lock_shared(20261129, hashtext(current_schema()))`.execute(db)

/**
 * The highest sequence number with no earlier entry still uncommitted; undefined for SQLite, whose
 * single writer commits in order. The exclusive lock is only *tried* (a try never queues, so it
 * never holds up an appender); it succeeds in the gaps between commits. Only when it has failed
 * for a while does the integrator wait for it, at most 100 ms. `null`: try again later.
 */
export async function journalHorizon(database: DatabaseHandle): Promise<number | null | undefined> {
  if (database.dialect !== 'postgres') return undefined
  const attempt = (wait: boolean) =>
    database.db.transaction().execute(async (tx) => {
      if (wait) {
        await sql`set local lock_timeout = '100ms'`.execute(tx)
        await sql`select pg_advisory_xact_lock(20261129, hashtext(current_schema()))`.execute(tx)
      } else {
        const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(20261129, hashtext(current_schema())) as ok`.execute(tx)
        if (!rows[0]?.ok) return null
      }
      const { rows } = await sql<{ seq: number | null }>`select max(seq) as seq from journal`.execute(tx)
      return Number(rows[0]?.seq ?? 0)
    })
  for (let i = 0; i < 20; i++) {
    const horizon = await attempt(false)
    if (horizon !== null) return horizon
    await new Promise((r) => setTimeout(r, 2))
  }
  try {
    return await attempt(true)
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') return null // lock_not_available
    throw error
  }
}

/** How payloads that name customers are sealed (crypto-shredding); absent: stored as received. */
export type Sealing = {
  sealer: Pick<JournalSealer, 'digest' | 'seal'>
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
