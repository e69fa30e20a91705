import fs from 'node:fs'
import { sql } from 'kysely'
import type { Db, Executor } from '../../db/database.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import { appendEntries } from '../journal/journal.repo.js'

/** The running software's version (package.json beside src/ or dist/). */
export const SOFTWARE_VERSION: string = (JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version

/**
 * Releases that changed what the archive records or how (GOBD-1, GOBD-12): the procedure
 * documentation lists them, and each record's steps name the release that wrote them.
 */
export const ARCHIVE_CHANGES: { version: string; date: string; change: string }[] = [
  { version: '0.1.0', date: '2026-11-23', change: 'Journal: every webhook body and Graph API response stored byte for byte with its SHA-256, append-only in the database.' },
  { version: '0.1.0', date: '2026-11-29', change: 'Erasure receipts, retention classes per conversation and message, restriction under tax retention.' },
  { version: '0.1.0', date: '2026-11-30', change: 'Merkle log (RFC 6962) over the journal, leaf format postfach-leaf/1, Ed25519-signed checkpoints (C2SP), media files logged by digest, reclassification history and legal holds.' },
  { version: '0.1.0', date: '2026-12-01', change: 'Encryption at rest beyond the journal: inbox message contents, media files and contact details (name, phone number, WhatsApp user id) sealed under the customer’s data key, so an erasure shreds them in backups too; search and lookups through keyed hashes instead of plaintext.' },
  { version: '0.1.0', date: '2026-12-01', change: 'Merkle log: tree nodes stored on every fourth level only (each the root of 16 hashes of the stored level below, as Tessera’s tiles); the others are computed when a proof needs them. Leaves, leaf format, roots and proofs unchanged.' },
  { version: '0.1.0', date: '2026-12-02', change: 'What the team writes about a customer sealed under the customer’s data key: notes, reclassification reasons, the notes and extension reasons of data-subject requests; a media file’s name kept only in its sealed message (the Z3 media index reads it from there). The journal’s entries and the media files unchanged.' },
]

/** Records this version when it first runs, as a row and as a journal entry (so the log holds it too). */
export async function recordRelease(db: Db): Promise<void> {
  const last = await db.selectFrom('archive_releases').select('version').orderBy('journal_seq_from', 'desc').orderBy('started_at', 'desc').limit(1).executeTakeFirst()
  if (last?.version === SOFTWARE_VERSION) return
  await db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ seq: number | null }>`select max(seq) as seq from journal`.execute(tx)
    const startedAt = nowIso()
    await tx.insertInto('archive_releases').values({ id: newId(), version: SOFTWARE_VERSION, journal_seq_from: Number(rows[0]?.seq ?? 0) + 1, started_at: startedAt }).execute()
    await appendEntries(tx, 'archive.release', [Buffer.from(JSON.stringify({ version: SOFTWARE_VERSION, leafFormat: 'postfach-leaf/1', startedAt }))])
  })
}

/** Which release wrote journal entry `seq` (or, for a step without one, was running at `at`). */
export async function releasesIndex(db: Executor): Promise<(step: { journalSeq?: number | null; at: string }) => string> {
  const rows = await db.selectFrom('archive_releases').select(['version', 'journal_seq_from', 'started_at']).orderBy('journal_seq_from').execute()
  return (step) => {
    let version = rows[0]?.version ?? SOFTWARE_VERSION
    for (const r of rows) {
      if (step.journalSeq !== undefined && step.journalSeq !== null ? Number(r.journal_seq_from) <= step.journalSeq : r.started_at <= step.at) version = r.version
    }
    return version
  }
}
