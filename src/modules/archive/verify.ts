import type { DatabaseHandle } from '../../db/database.js'
import { MediaChangedError, type MediaStore } from '../media/media-store.js'
import { parseWebhook } from '../whatsapp/webhook-events.js'
import type { JournalSealer } from './journal-sealer.js'
import { isSealed } from './sealed-payload.js'
import { verifyCheckpoint } from './checkpoint.js'
import { Frontier, type TreeNode } from './compact-range.js'
import { collectChunks } from '../../platform/chunks.js'
import { openContent } from '../inbox/message-vault.js'
import { leafOfJournalRow, payloadDigest } from './leaf.js'
import { leafHash } from './merkle.js'
import type { ArchiveKey } from './signing-key.js'

/** One finding: a stable `code` (translated in the interface), the entry it names, and the English text. */
export type VerifyProblem = { code: string; leafIndex?: number; journalSeq?: number; checkpointSize?: number; mediaId?: string; messageId?: string; from?: number; to?: number; size?: number; previous?: number; kind?: string; node?: string; problem: string }
export type VerifyReport = { ok: boolean; leaves: number; checkpoints: number; pending: number; media: number; messages: number; problems: VerifyProblem[] }

const PAGE = 5000

/**
 * Recomputes the whole log from what is stored and checks it against every signed checkpoint:
 * each leaf against its journal entry (so an edited, deleted or swapped payload is named), the
 * tree and every stored node from the leaves, every checkpoint's signature and root, entries that
 * appear in the journal but not in the log, and every media file against its logged digest.
 * Reads each row once; memory stays O(log n) plus the media index.
 */
export async function verifyArchive(
  database: DatabaseHandle,
  key: Pick<ArchiveKey, 'name' | 'publicKey'>,
  media: MediaStore | undefined,
  /** Opens sealed payloads for the message check; without it sealed entries are checked by their leaves only. */
  sealer?: Pick<JournalSealer, 'open' | 'keys'>,
): Promise<VerifyReport> {
  const db = database.db
  const problems: VerifyProblem[] = []
  const checkpoints = (await db.selectFrom('archive_checkpoints').select(['size', 'root_hash', 'note']).orderBy('size').execute()).map((c) => ({ ...c, size: Number(c.size) }))
  for (const c of checkpoints) {
    const signed = verifyCheckpoint(c.note, key)
    if (!signed) problems.push({ checkpointSize: c.size, code: 'checkpoint-signature', problem: 'the checkpoint signature does not verify with the archive key' })
    else if (signed.size !== c.size || signed.root.toString('hex') !== c.root_hash) problems.push({ checkpointSize: c.size, code: 'checkpoint-note', problem: 'the stored size or root differs from the signed note' })
  }

  const frontier = Frontier.empty()
  const mediaLeaves = new Map<string, { leafIndex: number; mediaId: string }>() // by sha256
  const erasedMedia = new Set<string>()
  let nextCheckpoint = 0
  let lastSeq = 0
  let cursor = -1
  for (;;) {
    const rows = await leafPage(database, cursor, PAGE)
    if (rows.length === 0) break
    const created: TreeNode[] = []
    for (const r of rows) {
      const idx = Number(r.idx)
      const seq = Number(r.journal_seq)
      if (idx !== frontier.size) {
        problems.push({ leafIndex: frontier.size, code: 'entries-deleted', from: frontier.size, to: idx - 1, problem: `log entries ${frontier.size}…${idx - 1} were deleted` })
      }
      if (seq <= lastSeq) problems.push({ leafIndex: idx, journalSeq: seq, code: 'order-changed', problem: 'the log order was changed (sequence numbers out of order)' })
      lastSeq = Math.max(lastSeq, seq)
      const data = Buffer.from(r.leaf_data)
      checkLeafAgainstJournal(r, problems)
      if (r.content && (r.kind === 'media.stored' || r.kind === 'archive.erasure')) noteMedia(r.kind, r.content, idx, mediaLeaves, erasedMedia)
      created.push(...frontier.append(leafHash(data)))
      while (nextCheckpoint < checkpoints.length && checkpoints[nextCheckpoint]!.size === frontier.size) {
        const c = checkpoints[nextCheckpoint++]!
        if (frontier.root().toString('hex') !== c.root_hash) problems.push({ checkpointSize: c.size, code: 'root-changed', problem: `the log's first ${c.size} entries no longer produce the signed root` })
      }
      cursor = idx
    }
    await compareStoredNodes(database, created, problems)
  }
  for (const c of checkpoints.slice(nextCheckpoint)) problems.push({ checkpointSize: c.size, code: 'log-shortened', size: frontier.size, problem: `the checkpoint covers ${c.size} entries but the log holds only ${frontier.size}` })

  // Entries in the journal that the log does not know, below the log's end, were added afterwards.
  const outside = await db
    .selectFrom('journal as j')
    .leftJoin('archive_leaves as l', 'l.journal_seq', 'j.seq')
    .select(['j.seq'])
    .where('l.idx', 'is', null)
    .orderBy('j.seq')
    .execute()
  let pending = 0
  for (const o of outside) {
    if (Number(o.seq) < lastSeq) problems.push({ journalSeq: Number(o.seq), code: 'entry-inserted', problem: 'a journal entry is not in the log (inserted after the fact)' })
    else pending++
  }

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
  return { ok: problems.length === 0, leaves: frontier.size, checkpoints: checkpoints.length, pending, media: mediaLeaves.size, messages, problems }
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

export type LeafRow = Awaited<ReturnType<typeof leafPage>>[number]

const entryColumns = ['seq', 'kind', 'received_at', 'content', 'content_sha256', 'commitment', 'key_id'] as const

/**
 * Leaves after `cursor` in log order, each with its journal entry (null fields when the entry is
 * gone). Leaves follow the journal's order, so one range read of the journal finds their entries,
 * cheaper than a lookup per leaf; a log whose sequence numbers were scattered (tampering, which
 * is reported) is read by its numbers instead.
 */
export async function leafPage(database: DatabaseHandle, cursor: number, limit: number) {
  const { db } = database
  const leaves = await db.selectFrom('archive_leaves').select(['idx', 'journal_seq', 'leaf_data']).where('idx', '>', cursor).orderBy('idx').limit(limit).execute()
  if (leaves.length === 0) return []
  const seqs = leaves.map((l) => Number(l.journal_seq))
  const lo = Math.min(...seqs)
  const hi = Math.max(...seqs)
  const entries =
    hi - lo < limit * 4
      ? await db.selectFrom('journal').select(entryColumns).where('seq', '>=', lo).where('seq', '<=', hi).execute()
      : await collectChunks(seqs, (chunk) => db.selectFrom('journal').select(entryColumns).where('seq', 'in', chunk).execute())
  const bySeq = new Map(entries.map((e) => [Number(e.seq), e]))
  return leaves.map((l, i) => {
    const e = bySeq.get(seqs[i]!)
    return { idx: l.idx, journal_seq: l.journal_seq, leaf_data: l.leaf_data, seq: e?.seq ?? null, kind: e?.kind ?? null, received_at: e?.received_at ?? null, content: e?.content ?? null, content_sha256: e?.content_sha256 ?? null, commitment: e?.commitment ?? null, key_id: e?.key_id ?? null }
  })
}

/**
 * A leaf against the journal entry it was made from. A changed entry is named here; the tree goes
 * on with the logged leaf, so the roots then test the log itself (a leaf rewritten to match shows
 * up as a root that no longer verifies).
 */
export function checkLeafAgainstJournal(r: LeafRow, problems: VerifyProblem[]): void {
  const leafIndex = Number(r.idx)
  const journalSeq = Number(r.journal_seq)
  if (r.seq === null || r.kind === null || r.received_at === null || r.content_sha256 === null) {
    problems.push({ leafIndex, journalSeq, code: 'entry-deleted', problem: 'the journal entry was deleted' })
    return
  }
  const recomputed = leafOfJournalRow({ seq: Number(r.seq), kind: r.kind, received_at: r.received_at, content: r.content, content_sha256: r.content_sha256, commitment: r.commitment })
  if (!recomputed.equals(r.leaf_data)) problems.push({ leafIndex, journalSeq, code: 'entry-changed', kind: r.kind, problem: `the stored ${r.kind} entry differs from what was logged (payload, time or kind changed)` })
  // (A sealed payload's digest is keyed; only a plain one can be recomputed here.)
  else if (r.content && r.key_id === null && r.content_sha256 !== payloadDigest(r.content)) problems.push({ leafIndex, journalSeq, code: 'payload-changed', problem: 'the payload no longer matches its recorded digest' })
}

function noteMedia(kind: string, content: Buffer, leafIndex: number, logged: Map<string, { leafIndex: number; mediaId: string }>, erased: Set<string>) {
  try {
    const body = JSON.parse(content.toString('utf8')) as { sha256?: unknown; mediaId?: unknown; media?: unknown }
    if (kind === 'media.stored' && typeof body.sha256 === 'string') logged.set(body.sha256, { leafIndex, mediaId: String(body.mediaId) })
    if (kind === 'archive.erasure' && Array.isArray(body.media)) for (const s of body.media) if (typeof s === 'string') erased.add(s)
  } catch {
    // An unreadable entry is reported by its leaf check already.
  }
}

/** The stored nodes must be exactly the ones the leaves produce: proofs are served from them. One range scan per level. */
async function compareStoredNodes(database: DatabaseHandle, created: TreeNode[], problems: VerifyProblem[]) {
  const byLevel = new Map<number, TreeNode[]>()
  for (const n of created) {
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
