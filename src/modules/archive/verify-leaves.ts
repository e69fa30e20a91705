import { sql } from 'kysely'
import type { DatabaseHandle } from '../../db/database.js'
import { Frontier, type TreeNode } from './compact-range.js'
import { isLeafOf, payloadDigest } from './leaf.js'
import { leafHash } from './merkle.js'
import { isStoredLevel } from './tree-store.js'

/** One finding: a stable `code` (translated in the interface), the entry it names, and the English text. */
export type VerifyProblem = { code: string; leafIndex?: number; journalSeq?: number; checkpointSize?: number; mediaId?: string; messageId?: string; from?: number; to?: number; size?: number; previous?: number; kind?: string; node?: string; problem: string }

/** Media files the log names (by sha256, the last entry naming one wins) and those an erasure removed. */
export type LoggedMedia = { logged: Map<string, { leafIndex: number; mediaId: string }>; erased: Set<string> }

/**
 * Leaves per read. Small pages keep each page's payload buffers young (SQLite hands each payload
 * over as a buffer of its own): 512 verified 10–15 % faster on SQLite than 5,000; on PostgreSQL the
 * round trips this adds cost nothing measurable.
 */
export const PAGE = 512

/** A leaf as verification uses it: its hash, its journal entry's kind and (for media) stored bytes, and what is wrong with it. */
export type CheckedLeaf = {
  idx: number
  journalSeq: number
  /**
   * The RFC 6962 leaf hash of the logged leaf (PostgreSQL computes it), or the leaf as text, to be
   * hashed as the tree takes it (SQLite; faster than hashing the page ahead).
   */
  logged: { hash: Buffer } | { data: string }
  /** The journal entry's kind (null when the entry is gone). */
  kind: string | null
  /** The stored bytes of media entries (the media they name), null for others. */
  content: Buffer | null
  /** The leaf does not match its journal entry: a changed entry is named here; the tree goes on with the logged leaf, so the roots then test the log itself (a leaf rewritten to match shows up as a root that no longer verifies). */
  problem: VerifyProblem | undefined
}

/** The leaf hash the tree takes: PostgreSQL's, or computed here from the leaf SQLite read. */
export const hashOfLeaf = ({ logged }: CheckedLeaf): Buffer => ('hash' in logged ? logged.hash : leafHash(logged.data))

/** The entries whose payload verification reads (the media they name), not only its digest. */
const MEDIA_KINDS = ['media.stored', 'archive.erasure']

type LeafProblem = 'entry-deleted' | 'entry-changed' | 'payload-changed'
const leafProblem = (code: LeafProblem, leafIndex: number, journalSeq: number, kind: string | null): VerifyProblem =>
  code === 'entry-deleted'
    ? { leafIndex, journalSeq, code, problem: 'the journal entry was deleted' }
    : code === 'entry-changed'
      ? { leafIndex, journalSeq, code, kind: kind ?? undefined, problem: `the stored ${kind} entry differs from what was logged (payload, time or kind changed)` }
      : { leafIndex, journalSeq, code, problem: 'the payload no longer matches its recorded digest' }

/**
 * Leaves after `cursor` in log order, each checked against its journal entry, in one joined read
 * (a row per leaf, whatever order tampering left the sequence numbers in).
 *
 * PostgreSQL does the checking in its own process, beside this one: it hashes the payload and the
 * leaf, rebuilds the leaf from the entry's columns and compares, and sends a leaf hash and a
 * verdict instead of eleven columns: parsing those columns here cost more than all the hashing.
 * (With the batched node check below, verification of 1,000,000 leaves on two cores went from
 * about 147,000 to 230,000 leaves/s.) SQLite runs in this thread: its rows come as arrays and the
 * same checks are made here, on the leaf read as text (a string costs less to make than a buffer:
 * 20 % faster). A leaf is ASCII, where text and bytes are one; bytes that are not ASCII or not
 * UTF-8 read as characters no rebuilt leaf holds, so the leaf is reported changed.
 */
export async function checkedLeafPage(database: DatabaseHandle, cursor: number, limit: number): Promise<CheckedLeaf[]> {
  if (database.queryArrays) {
    const rows = await database.queryArrays(checkedInPostgres(database, cursor, limit))
    return rows.map((r) => {
      const idx = r[0] as number
      const journalSeq = r[1] as number
      const kind = r[4] as string | null
      const problem = r[3] as LeafProblem | null
      return { idx, journalSeq, logged: { hash: r[2] as Buffer }, kind, content: r[5] as Buffer | null, problem: problem ? leafProblem(problem, idx, journalSeq, kind) : undefined }
    })
  }
  if (!database.readRows) throw new Error('an SQLite handle reads rows as arrays (openDatabase sets readRows)')
  const page = database.db
    .selectFrom('archive_leaves as l')
    .leftJoin('journal as j', 'j.seq', 'l.journal_seq')
    .select(['l.idx', 'l.journal_seq', sql<string>`cast(l.leaf_data as text)`.as('leaf_data'), 'j.kind', 'j.received_at', 'j.content_sha256', 'j.commitment', 'j.key_id', 'j.content'])
    .where('l.idx', '>', cursor)
    .orderBy('l.idx')
    .limit(limit)
  return database.readRows(page.compile()).map((r) => {
    const idx = r[0] as number
    const journalSeq = r[1] as number
    const leafData = r[2] as string
    const kind = r[3] as string | null
    const content = r[8] as Buffer | null
    const code = checkLeaf(leafData, journalSeq, kind, r[4] as string | null, r[5] as string | null, r[6] as string | null, r[7] as string | null, content ? payloadDigest(content) : null)
    return { idx, journalSeq, logged: { data: leafData }, kind, content: kind && MEDIA_KINDS.includes(kind) ? content : null, problem: code ? leafProblem(code, idx, journalSeq, kind) : undefined }
  })
}

/** The leaf against its journal entry's columns (null columns: the entry is gone). */
function checkLeaf(leafData: string, journalSeq: number, kind: string | null, receivedAt: string | null, contentSha256: string | null, commitment: string | null, keyId: string | null, storedDigest: string | null): LeafProblem | undefined {
  if (kind === null || receivedAt === null || contentSha256 === null) return 'entry-deleted'
  const storedSha256 = storedDigest ?? contentSha256
  if (!isLeafOf(leafData, { seq: journalSeq, kind, at: receivedAt, storedSha256, commitment: commitment ?? storedSha256 })) return 'entry-changed'
  // (A sealed payload's digest is keyed; only a plain one can be recomputed here.)
  if (storedDigest !== null && keyId === null && contentSha256 !== storedSha256) return 'payload-changed'
  return undefined
}

/**
 * The same checks as `checkLeaf`, in SQL: the leaf rebuilt as `encodeLeaf` writes it. (The
 * printable-field test `encodeLeaf` makes is not needed here: the logged leaf's fields hold no
 * line breaks, so only the logged values rebuild its bytes, and a logged leaf rewritten with
 * others changes the roots.)
 */
function checkedInPostgres(database: DatabaseHandle, cursor: number, limit: number) {
  const nl = sql`chr(10)`
  const expected = sql`convert_to('postfach-leaf/1' || ${nl} || 'seq ' || j.seq || ${nl} || 'kind ' || j.kind || ${nl} || 'at ' || j.received_at || ${nl} || 'stored-sha256 ' || d.stored || ${nl} || 'commitment ' || coalesce(j.commitment, d.stored) || ${nl}, 'UTF8')`
  return sql`
    select l.idx, l.journal_seq, sha256(decode('00', 'hex') || l.leaf_data),
      case
        when j.seq is null then 'entry-deleted'
        when l.leaf_data <> ${expected} then 'entry-changed'
        when j.content is not null and j.key_id is null and j.content_sha256 <> d.stored then 'payload-changed'
      end,
      j.kind,
      case when j.kind in (${sql.join(MEDIA_KINDS)}) then j.content end
    from archive_leaves l
    left join journal j on j.seq = l.journal_seq
    -- the payload hashed once per row ("offset 0" keeps the planner from copying the expression into each use)
    left join lateral (select coalesce(encode(sha256(j.content), 'hex'), j.content_sha256) as stored offset 0) d on true
    where l.idx > ${cursor}
    order by l.idx
    limit ${limit}`.compile(database.db)
}

/**
 * The pages of leaves after `cursor`, up to leaf `end - 1` (to the last without `end`), each next
 * page asked for before the current one is handed out: PostgreSQL reads and checks it while this
 * thread builds the tree from the current one.
 */
export async function* leafPages(database: DatabaseHandle, cursor: number, end = Number.POSITIVE_INFINITY): AsyncGenerator<CheckedLeaf[]> {
  const ask = (after: number) => (after < end - 1 ? checkedLeafPage(database, after, Math.min(PAGE, end - 1 - after)) : Promise.resolve([]))
  let pending = ask(cursor)
  try {
    for (let rows = await pending; rows.length > 0; rows = await pending) {
      pending = ask(rows.at(-1)!.idx)
      yield rows
    }
  } finally {
    pending.catch(() => undefined) // a caller that stopped early does not wait for the page asked for
  }
}

/** What one slice of the log [start, end) yields for the whole: its subtrees, the partial ranges at checkpoints, media, its last sequence number. */
export type SliceReport = {
  start: number
  end: number
  /** Any finding: the caller then verifies the whole log in one pass, which names every entry. */
  problems: VerifyProblem[]
  subtrees: { level: number; hash: Uint8Array }[]
  /** For each checkpoint inside the slice: the subtree hashes of [start, size). */
  checkpoints: { size: number; hashes: Uint8Array[] }[]
  lastSeq: number
  media: LoggedMedia
}

/**
 * Verifies one slice of the log on its own — every leaf against its journal entry, the order of
 * sequence numbers (from the leaf before the slice), that no index is missing, every stored node
 * inside the slice — and returns what the whole needs to check the roots. `start` must be a
 * multiple of a power of two at least `end - start`, so the slice's nodes are the tree's own.
 * Stops at the first finding.
 */
export async function verifySlice(database: DatabaseHandle, start: number, end: number, checkpointSizes: number[]): Promise<SliceReport> {
  const problems: VerifyProblem[] = []
  const media: LoggedMedia = { logged: new Map(), erased: new Set() }
  const wanted = new Set(checkpointSizes)
  const checkpoints: SliceReport['checkpoints'] = []
  const before = start === 0 ? undefined : await database.db.selectFrom('archive_leaves').select('journal_seq').where('idx', '=', start - 1).executeTakeFirst()
  let lastSeq = before ? Number(before.journal_seq) : 0 // (a missing leaf before the slice is the previous slice's finding)
  const frontier = Frontier.startingAt(start)
  const report = () => ({ start, end, problems, subtrees: [], checkpoints, lastSeq, media })
  const nodeCheck = new StoredNodeCheck(database, problems)
  for await (const rows of leafPages(database, start - 1, end)) {
    for (const r of rows) {
      const { idx, journalSeq: seq } = r
      if (idx !== frontier.size) {
        problems.push({ leafIndex: frontier.size, code: 'entries-deleted', from: frontier.size, to: idx - 1, problem: `log entries ${frontier.size}…${idx - 1} were deleted` })
        return report()
      }
      if (seq <= lastSeq) problems.push({ leafIndex: idx, journalSeq: seq, code: 'order-changed', problem: 'the log order was changed (sequence numbers out of order)' })
      lastSeq = Math.max(lastSeq, seq)
      if (r.problem) problems.push(r.problem)
      if (problems.length) return report()
      noteMedia(r, media)
      for (const node of frontier.append(hashOfLeaf(r))) nodeCheck.add(node)
      if (wanted.has(frontier.size)) checkpoints.push({ size: frontier.size, hashes: frontier.hashes() })
    }
    await nodeCheck.whenBatchFull()
    if (problems.length) return report()
    // SQLite answers synchronously, so without this a slice verified in the main thread would hold
    // off the worker threads' messages (their start, their reports) until it ends.
    await new Promise(setImmediate)
  }
  await nodeCheck.settle()
  if (problems.length) return report()
  if (frontier.size !== end) {
    problems.push({ leafIndex: frontier.size, code: 'entries-deleted', from: frontier.size, to: end - 1, problem: `log entries ${frontier.size}…${end - 1} were deleted` })
    return report()
  }
  // Every journal entry in the slice's range of sequence numbers must be one of its leaves (one count, not a lookup per entry).
  let inRange = database.db.selectFrom('journal').select(sql<number | string>`count(*)`.as('n')).where('seq', '<=', lastSeq)
  if (before) inRange = inRange.where('seq', '>', Number(before.journal_seq))
  if (Number((await inRange.executeTakeFirstOrThrow()).n) !== end - start) {
    problems.push({ code: 'entry-inserted', problem: 'a journal entry is not in the log (inserted after the fact)' })
    return report()
  }
  return { ...report(), subtrees: frontier.subtrees() }
}

/** Media the entry logs as stored or as erased. */
export function noteMedia({ idx: leafIndex, kind, content }: CheckedLeaf, { logged, erased }: LoggedMedia) {
  if (!content) return // (only media entries come with their content)
  try {
    const body = JSON.parse(content.toString('utf8')) as { sha256?: unknown; mediaId?: unknown; media?: unknown }
    if (kind === 'media.stored' && typeof body.sha256 === 'string') logged.set(body.sha256, { leafIndex, mediaId: String(body.mediaId) })
    if (kind === 'archive.erasure' && Array.isArray(body.media)) for (const s of body.media) if (typeof s === 'string') erased.add(s)
  } catch {
    // An unreadable entry is reported by its leaf check already.
  }
}

/**
 * The stored nodes a pass creates, compared while the pass goes on, one comparison in flight at a
 * time. PostgreSQL answers in its own process: comparing each page's nodes before reading on left
 * this thread waiting a round trip per stored level per page (a quarter of the verification's
 * time), so nodes go in batches of about 16 pages, read while the next pages are hashed. SQLite
 * answers in this thread, where batches only made the reads larger (10 % slower): a page at a time.
 */
export class StoredNodeCheck {
  private batch: TreeNode[] = []
  private inFlight: Promise<void> = Promise.resolve()
  private readonly nodesPerCheck: number
  constructor(
    private readonly database: DatabaseHandle,
    private readonly problems: VerifyProblem[],
  ) {
    this.nodesPerCheck = database.dialect === 'postgres' ? 512 : 1
  }

  add(node: TreeNode) {
    if (isStoredLevel(node.level)) this.batch.push(node)
  }

  /** Sends the batch once it is full (at the end of a page), after the previous one has answered (its findings are in `problems` then). */
  async whenBatchFull() {
    if (this.batch.length >= this.nodesPerCheck) await this.send()
  }

  /** Every node added so far compared. */
  async settle() {
    await this.send()
    await this.inFlight
  }

  private async send() {
    await this.inFlight
    const nodes = this.batch
    this.batch = []
    this.inFlight = compareStoredNodes(this.database, nodes, this.problems)
    this.inFlight.catch(() => undefined) // awaited by the next send or settle; a pass that stopped early never asks
  }
}

/** The stored nodes must be exactly the ones the leaves produce: proofs are served from them. One range scan per stored level. */
export async function compareStoredNodes(database: DatabaseHandle, created: TreeNode[], problems: VerifyProblem[]) {
  const byLevel = new Map<number, TreeNode[]>()
  for (const n of created) {
    if (!isStoredLevel(n.level)) continue
    const list = byLevel.get(n.level)
    if (list) list.push(n)
    else byLevel.set(n.level, [n])
  }
  for (const [level, nodes] of byLevel) {
    const rows = await database.db
      .selectFrom('archive_nodes')
      .select(['idx', 'hash'])
      .where('level', '=', level)
      .where('idx', '>=', nodes[0]!.idx)
      .where('idx', '<=', nodes.at(-1)!.idx)
      .orderBy('idx')
      .execute()
    const stored = new Map(rows.map((r) => [Number(r.idx), r.hash]))
    for (const n of nodes) {
      const hash = stored.get(n.idx)
      if (!hash) problems.push({ leafIndex: n.idx * 2 ** level, code: 'node-missing', node: `${level}:${n.idx}`, problem: `the stored tree node ${level}:${n.idx} is missing` })
      else if (!Buffer.from(hash).equals(n.hash)) problems.push({ leafIndex: n.idx * 2 ** level, code: 'node-changed', node: `${level}:${n.idx}`, problem: `the stored tree node ${level}:${n.idx} does not match the leaves under it` })
    }
  }
}
