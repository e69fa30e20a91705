import os from 'node:os'
import { Worker } from 'node:worker_threads'
import { sql } from 'kysely'
import type { DatabaseHandle, DatabaseOptions, Dialect } from '../../db/database.js'
import { MediaChangedError, type MediaStore } from '../media/media-store.js'
import { parseWebhook } from '../whatsapp/webhook-events.js'
import type { JournalSealer } from './journal-sealer.js'
import { isSealed } from './sealed-payload.js'
import { verifyCheckpoint } from './checkpoint.js'
import { foldRight, Frontier, type TreeNode } from './compact-range.js'
import { openContent } from '../inbox/message-vault.js'
import { payloadDigest } from './leaf.js'
import type { ArchiveKey } from './signing-key.js'
import { compareStoredNodes, hashOfLeaf, type LoggedMedia, leafPages, noteMedia, PAGE, type SliceReport, StoredNodeCheck, verifySlice, type VerifyProblem } from './verify-leaves.js'

export type { VerifyProblem } from './verify-leaves.js'
export type VerifyReport = {
  ok: boolean
  leaves: number
  checkpoints: number
  pending: number
  media: number
  messages: number
  /** How the log was read: in slices, by this thread and so many worker threads beside it, or — after a finding — in one pass (slices 0). */
  slices: number
  workers: number
  problems: VerifyProblem[]
}
export type VerifyOptions = {
  /** Leaves per slice, a power of two (default 65,536). */
  sliceLeaves?: number
  /** Worker threads verifying slices beside this thread (which takes slices too unless `inThisThread` is false); 0: this thread alone. Default: one fewer than `defaultVerifyThreads`. */
  workers?: number
  /** false leaves the slices to the workers while any is running (for a caller whose thread serves others); default true. */
  inThisThread?: boolean
}
type Checkpoint = { size: number; root_hash: string; note: string }
type LogState = { size: number; lastSeq: number; media: LoggedMedia; slices: number; workers: number }

/**
 * Recomputes the whole log from what is stored and checks it against every signed checkpoint:
 * each leaf against its journal entry (so an edited, deleted or swapped payload is named), the
 * tree and every stored node from the leaves, every checkpoint's signature and root, entries that
 * appear in the journal but not in the log, and every media file against its logged digest.
 *
 * The log is verified in aligned slices (side by side in worker threads for a large log), whose
 * subtrees combine into every checkpoint's root. When any slice finds a problem, the whole log is
 * verified again in one pass, which names every affected entry exactly.
 */
export async function verifyArchive(
  database: DatabaseHandle,
  key: Pick<ArchiveKey, 'name' | 'publicKey'>,
  media: MediaStore | undefined,
  /** Opens sealed payloads for the message check; without it sealed entries are checked by their leaves only. */
  sealer?: Pick<JournalSealer, 'open' | 'keys'>,
  o: VerifyOptions = {},
): Promise<VerifyReport> {
  const db = database.db
  const problems: VerifyProblem[] = []
  const checkpoints = (await db.selectFrom('archive_checkpoints').select(['size', 'root_hash', 'note']).orderBy('size').execute()).map((c) => ({ ...c, size: Number(c.size) }))
  for (const c of checkpoints) {
    const signed = verifyCheckpoint(c.note, key)
    if (!signed) problems.push({ checkpointSize: c.size, code: 'checkpoint-signature', problem: 'the checkpoint signature does not verify with the archive key' })
    else if (signed.size !== c.size || signed.root.toString('hex') !== c.root_hash) problems.push({ checkpointSize: c.size, code: 'checkpoint-note', problem: 'the stored size or root differs from the signed note' })
  }

  const sliced = await slicedLog(database, checkpoints, o)
  const log = sliced ?? (await wholeLog(database, checkpoints, problems))
  const { logged: mediaLeaves, erased: erasedMedia } = log.media
  const pending = sliced ? await entriesAfter(database, log.lastSeq) : await entriesOutsideLog(database, log.lastSeq, problems)

  for (const [sha256, m] of mediaLeaves) {
    if (erasedMedia.has(sha256) || !media) continue
    const bytes = await media.get(sha256).catch((err: unknown) => {
      if (err instanceof MediaChangedError) return 'changed' as const
      throw err
    })
    if (bytes === 'changed') problems.push({ leafIndex: m.leafIndex, mediaId: m.mediaId, code: 'media-changed', problem: 'the media file changed since it was logged' })
    else if (!bytes) problems.push({ leafIndex: m.leafIndex, mediaId: m.mediaId, code: 'media-missing', problem: 'the media file is missing' })
    else if (payloadDigest(bytes) !== sha256) problems.push({ leafIndex: m.leafIndex, mediaId: m.mediaId, code: 'media-changed', problem: 'the media file changed since it was logged' })
  }

  const messages = await checkMessages(database, problems, sealer)
  return { ok: problems.length === 0, leaves: log.size, checkpoints: checkpoints.length, pending, media: mediaLeaves.size, messages, slices: log.slices, workers: log.workers, problems }
}

/**
 * How many threads verify when the operator does not say, this one included: a thread per core
 * for SQLite, which reads and hashes in the thread; PostgreSQL hashes the payloads in its own
 * processes, about half a core beside each thread (measured: 4 µs of the database's CPU per
 * entry beside 8.5 µs of Node's), so there two threads per three cores, rounded up (on two
 * cores two threads verified 20 % faster than one). At most four, so that a verification beside
 * a running server leaves it cores; only this one for fewer than four slices (a worker's start
 * would cost more than it saves).
 */
export function defaultVerifyThreads(dialect: Dialect, cores: number, slices: number): number {
  const threads = Math.min(4, dialect === 'postgres' ? Math.ceil((cores * 2) / 3) : cores)
  return slices >= 4 ? Math.max(1, threads) : 1
}

/**
 * The log verified slice by slice; undefined as soon as anything does not hold (the caller then
 * verifies it in one pass for the report). Each slice is a complete subtree of the tree (the last
 * one: its complete subtrees), so appending the slices' subtrees rebuilds the tree; the nodes above
 * the slices are compared here, and a checkpoint inside a slice has as its root the subtrees
 * before the slice followed by the slice's own up to the checkpoint.
 */
async function slicedLog(database: DatabaseHandle, checkpoints: Checkpoint[], o: VerifyOptions): Promise<LogState | undefined> {
  const sliceLeaves = o.sliceLeaves ?? 65_536
  if (!Number.isInteger(Math.log2(sliceLeaves))) throw new Error('sliceLeaves must be a power of two')
  const bounds = await database.db.selectFrom('archive_leaves').select([sql<number | string | null>`min(idx)`.as('first'), sql<number | string | null>`max(idx)`.as('last')]).executeTakeFirst()
  const end = bounds?.last === null || bounds?.last === undefined ? 0 : Number(bounds.last) + 1
  if (Number(bounds?.first ?? 0) < 0 || checkpoints.some((c) => c.size > end)) return undefined
  const slices: Slice[] = []
  for (let start = 0; start < end; start += sliceLeaves) {
    const stop = Math.min(start + sliceLeaves, end)
    slices.push({ start, end: stop, checkpointSizes: checkpoints.filter((c) => c.size > start && c.size <= stop).map((c) => c.size) })
  }
  const workers = database.options ? Math.max(0, Math.min(slices.length - 1, o.workers ?? defaultVerifyThreads(database.dialect, os.availableParallelism(), slices.length) - 1)) : 0
  const { reports, workers: used } = await inThreads(database, slices, workers, o.inThisThread ?? true)
  if (!reports) return undefined

  const tree = Frontier.empty()
  const roots = new Map(checkpoints.map((c) => [c.size, c.root_hash]))
  const above: TreeNode[] = []
  const state: LogState = { size: 0, lastSeq: 0, media: { logged: new Map(), erased: new Set() }, slices: slices.length, workers: used }
  for (const r of reports) {
    const before = tree.hashes()
    for (const c of r.checkpoints) if (foldRight([...before, ...c.hashes.map(asBuffer)]).toString('hex') !== roots.get(c.size)) return undefined
    for (const t of r.subtrees) above.push(...tree.appendSubtree(t.level, asBuffer(t.hash)).slice(1))
    for (const [sha256, m] of r.media.logged) state.media.logged.set(sha256, m)
    for (const sha256 of r.media.erased) state.media.erased.add(sha256)
    state.lastSeq = r.lastSeq
  }
  const problems: VerifyProblem[] = []
  await compareStoredNodes(database, above, problems)
  if (problems.length > 0) return undefined
  return { ...state, size: tree.size }
}

/** Journal entries after the log's last one, not yet integrated (the slices counted every entry before it). */
async function entriesAfter(database: DatabaseHandle, lastSeq: number): Promise<number> {
  const row = await database.db.selectFrom('journal').select(sql<number | string>`count(*)`.as('n')).where('seq', '>', lastSeq).executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Entries in the journal that the log does not know: below the log's end they were added afterwards (named), after it they are pending. */
async function entriesOutsideLog(database: DatabaseHandle, lastSeq: number, problems: VerifyProblem[]): Promise<number> {
  const outside = await database.db
    .selectFrom('journal as j')
    .leftJoin('archive_leaves as l', 'l.journal_seq', 'j.seq')
    .select(['j.seq'])
    .where('l.idx', 'is', null)
    .orderBy('j.seq')
    .execute()
  let pending = 0
  for (const entry of outside) {
    if (Number(entry.seq) < lastSeq) problems.push({ journalSeq: Number(entry.seq), code: 'entry-inserted', problem: 'a journal entry is not in the log (inserted after the fact)' })
    else pending++
  }
  return pending
}

/** A Buffer over the bytes a worker sent (structured cloning makes them plain Uint8Arrays). */
const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength)

type Slice = { start: number; end: number; checkpointSizes: number[] }

/**
 * The slices spread over this thread and `count` worker threads, each taking the next slice when
 * it is done; reports in slice order, none once a slice found something (the whole log is then
 * verified again in one pass). This thread starts at once, so the workers' start (loading the
 * module graph, opening a connection) costs no waiting. A worker that cannot start or fails
 * leaves its slice to the others; `workers` counts those that took part to the end.
 */
async function inThreads(database: DatabaseHandle, slices: Slice[], count: number, thisThreadToo: boolean): Promise<{ reports: SliceReport[] | undefined; workers: number }> {
  const reports: SliceReport[] = new Array(slices.length)
  const returned: number[] = []
  let next = 0
  let stop = false // a finding: no more slices
  const take = () => (stop ? undefined : (returned.pop() ?? (next < slices.length ? next++ : undefined)))
  const done = (i: number, report: SliceReport) => {
    reports[i] = report
    if (report.problems.length > 0) stop = true
  }
  const here = async () => {
    for (let i = take(); i !== undefined; i = take()) done(i, await verifySlice(database, slices[i]!.start, slices[i]!.end, slices[i]!.checkpointSizes))
  }
  const workers = Array.from({ length: count }, () => new SliceWorker(database.options!))
  try {
    const finished = await Promise.all([thisThreadToo || count === 0 ? here() : undefined, ...workers.map((w) => w.work(slices, take, done, (i) => returned.push(i)))])
    await here() // slices that failing workers gave back (after this thread ran out of work, or all of them)
    return { reports: stop ? undefined : reports, workers: finished.filter((ok) => ok === true).length }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
}

/** A worker thread verifying the slices it takes (verify-worker.ts), on a connection of its own. */
class SliceWorker {
  private worker: Worker
  constructor(options: DatabaseOptions) {
    // From the sources (tests, `npm run dev`) the worker is TypeScript and registers the loader first; built, it is JavaScript.
    const fromSource = import.meta.url.endsWith('.ts')
    const url = new URL(`./verify-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href
    const boot = fromSource ? `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}) })` : `import(${JSON.stringify(url)})`
    this.worker = new Worker(boot, { eval: true, workerData: options })
  }

  /** Takes slices until none is left (true) or the worker fails (false, its slice given back). */
  work(slices: Slice[], take: () => number | undefined, done: (i: number, r: SliceReport) => void, giveBack: (i: number) => void): Promise<boolean> {
    return new Promise((resolve) => {
      let current: number | undefined
      const give = () => {
        current = take()
        if (current === undefined) resolve(true)
        else this.worker.postMessage(slices[current])
      }
      const fail = () => {
        if (current !== undefined) giveBack(current)
        current = undefined
        resolve(false)
      }
      this.worker.on('message', (m: { ready?: true; report?: SliceReport; error?: string }) => {
        if (m.error) return fail()
        if (m.report && current !== undefined) done(current, m.report)
        give()
      })
      this.worker.on('error', fail)
      this.worker.on('exit', () => current !== undefined && fail())
    })
  }

  terminate() {
    return this.worker.terminate()
  }
}

/** The whole log in one pass, naming every problem (the slices found one, or the log is not sliceable). */
async function wholeLog(database: DatabaseHandle, checkpoints: Checkpoint[], problems: VerifyProblem[]): Promise<LogState> {
  const frontier = Frontier.empty()
  const media: LoggedMedia = { logged: new Map(), erased: new Set() }
  let nextCheckpoint = 0
  let lastSeq = 0
  const nodeCheck = new StoredNodeCheck(database, problems)
  for await (const rows of leafPages(database, -1)) {
    for (const r of rows) {
      const { idx, journalSeq: seq } = r
      if (idx !== frontier.size) {
        problems.push({ leafIndex: frontier.size, code: 'entries-deleted', from: frontier.size, to: idx - 1, problem: `log entries ${frontier.size}…${idx - 1} were deleted` })
      }
      if (seq <= lastSeq) problems.push({ leafIndex: idx, journalSeq: seq, code: 'order-changed', problem: 'the log order was changed (sequence numbers out of order)' })
      lastSeq = Math.max(lastSeq, seq)
      if (r.problem) problems.push(r.problem)
      noteMedia(r, media)
      for (const node of frontier.append(hashOfLeaf(r))) nodeCheck.add(node)
      while (nextCheckpoint < checkpoints.length && checkpoints[nextCheckpoint]!.size === frontier.size) {
        const c = checkpoints[nextCheckpoint++]!
        if (frontier.root().toString('hex') !== c.root_hash) problems.push({ checkpointSize: c.size, code: 'root-changed', problem: `the log's first ${c.size} entries no longer produce the signed root` })
      }
    }
    await nodeCheck.whenBatchFull()
  }
  await nodeCheck.settle()
  for (const c of checkpoints.slice(nextCheckpoint)) problems.push({ checkpointSize: c.size, code: 'log-shortened', size: frontier.size, problem: `the checkpoint covers ${c.size} entries but the log holds only ${frontier.size}` })
  return { size: frontier.size, lastSeq, media, slices: 0, workers: 0 }
}

/**
 * The inbox's message rows are a view of the journal (they change status, so they cannot be
 * append-only): every inbound message must be the message object of its logged webhook, byte for
 * byte, and every outbound one must be the send its logged Graph response accepted.
 */
async function checkMessages(database: DatabaseHandle, problems: VerifyProblem[], sealer: Pick<JournalSealer, 'open' | 'keys'> | undefined): Promise<number> {
  let checked = 0
  let cursor = ''
  for (;;) {
    const rows = await database.db
      .selectFrom('messages as m')
      .leftJoin('journal as j', 'j.seq', 'm.journal_seq')
      .select(['m.id', 'm.wamid', 'm.direction', 'm.content', 'm.key_id', 'm.timestamp', 'm.journal_seq', 'j.kind', 'j.content as journal_content'])
      .where('m.id', '>', cursor)
      .orderBy('m.id')
      .limit(PAGE)
      .execute()
    if (rows.length === 0) return checked
    for (const r of rows) {
      cursor = r.id
      if (r.journal_seq === null) {
        if (r.direction === 'inbound') problems.push({ messageId: r.id, code: 'message-inserted', problem: 'an inbound message without a journal entry (inserted after the fact)' })
        continue // an outbound message not sent yet, or one whose response was lost (linked by status)
      }
      checked++
      const seq = Number(r.journal_seq)
      if (!r.journal_content) {
        problems.push({ messageId: r.id, journalSeq: seq, code: 'message-entry-missing', problem: 'the message names a journal entry that does not exist' })
        continue
      }
      const stored = Buffer.from(r.journal_content)
      let opened: { payload: Buffer } | undefined
      try {
        opened = isSealed(stored) ? await sealer?.open(database.db, stored) : { payload: stored }
      } catch {
        problems.push({ messageId: r.id, journalSeq: seq, code: 'sealed-changed', problem: 'the sealed journal entry no longer opens (its bytes were changed)' })
        continue
      }
      if (!opened) continue // sealed and no key (shredded, or no key at hand): the leaf check covers it
      let content: string | undefined
      try {
        // Stored contents are sealed too (encryption at rest); without the key there is nothing to compare.
        content = r.key_id === null ? r.content : sealer ? await openContent(database.db, sealer.keys, r) : undefined
      } catch {
        problems.push({ messageId: r.id, journalSeq: seq, code: 'message-changed', problem: 'the stored message differs from the one received (its sealed content no longer opens)' })
        continue
      }
      const logged = loggedMessage(r.kind, opened.payload, r.wamid, r.id)
      if (logged === undefined) problems.push({ messageId: r.id, journalSeq: seq, code: 'message-not-in-entry', problem: `the message is not in the journal entry it names` })
      else if (content === undefined) continue
      else if (logged !== null && logged.content !== content) problems.push({ messageId: r.id, journalSeq: seq, code: 'message-changed', problem: 'the stored message differs from the one received (content changed)' })
      else if (logged !== null && logged.timestamp !== null && logged.timestamp !== r.timestamp) problems.push({ messageId: r.id, journalSeq: seq, code: 'message-time-changed', problem: 'the stored message time differs from the one received' })
    }
  }
}

/** The message as its journal entry has it; null when the entry proves the send but keeps no projected copy; undefined when the entry does not contain it. */
function loggedMessage(kind: string | null, content: Buffer, wamid: string | null, messageId: string): { content: string; timestamp: string | null } | null | undefined {
  try {
    const body = JSON.parse(Buffer.from(content).toString('utf8'))
    if (kind === 'whatsapp.webhook') {
      const event = parseWebhook(body).find((e) => e.kind === 'message' && e.wamid === wamid)
      // (A webhook without a time gets the time of ingest, which the entry itself records.)
      return event?.kind === 'message' ? { content: JSON.stringify(event.raw), timestamp: event.raw.timestamp === undefined ? null : event.timestamp } : undefined
    }
    if (kind === 'privacy.import') {
      // A person's data brought from another Postfach (GDPR-20): the entry is the package; the message must be in it.
      const messages = ((body.conversations ?? []) as { messages?: { wamid?: string | null }[] }[]).flatMap((c) => c.messages ?? [])
      return wamid !== null && messages.some((m) => m.wamid === wamid) ? null : undefined
    }
    if (kind === 'whatsapp.send_response') {
      const accepted = (body.response as { messages?: { id?: string }[] } | undefined)?.messages?.[0]?.id
      return body.messageId === messageId && accepted === wamid ? null : undefined
    }
  } catch {
    // unreadable: reported as not containing the message
  }
  return undefined
}
