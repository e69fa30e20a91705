import type { Executor } from '../../db/database.js'
import { sha256Hex } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'

export type JournalKind = 'whatsapp.webhook' | 'whatsapp.send_request' | 'whatsapp.send_response'

/**
 * Appends one entry and returns its sequence number. The journal is append-only: there is no
 * update or delete function, and the database rejects both.
 */
export async function appendToJournal(db: Executor, kind: JournalKind, content: Buffer): Promise<number> {
  const appended = await appendUnlessPresent(db, kind, content)
  if (appended === undefined) throw new Error(`journal already holds this ${kind} entry`)
  return appended
}

/**
 * Appends an entry unless an identical one (same kind and bytes) is there already, in one
 * statement. Returns the new sequence number, or undefined for a duplicate.
 */
export async function appendUnlessPresent(db: Executor, kind: JournalKind, content: Buffer): Promise<number | undefined> {
  const row = await db
    .insertInto('journal')
    .values({ received_at: nowIso(), kind, content_sha256: sha256Hex(content), content, key_id: null })
    .onConflict((oc) => oc.columns(['kind', 'content_sha256']).doNothing())
    .returning('seq')
    .executeTakeFirst()
  return row ? Number(row.seq) : undefined
}

/** The sequence number of an identical earlier entry, if any (Meta redelivers byte-identical bodies). */
export async function findJournalEntryByHash(db: Executor, kind: JournalKind, content: Buffer): Promise<number | undefined> {
  const row = await db
    .selectFrom('journal')
    .select('seq')
    .where('kind', '=', kind)
    .where('content_sha256', '=', sha256Hex(content))
    .executeTakeFirst()
  return row ? Number(row.seq) : undefined
}

export const countJournal = async (db: Executor): Promise<number> =>
  Number((await db.selectFrom('journal').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
