import { createHash } from 'node:crypto'

/**
 * The canonical bytes of a log leaf, version 1: UTF-8 lines, each `name value`, in this order,
 * ending in a newline. They commit to the stored payload's SHA-256 (the bytes as stored, so
 * ciphertext once a payload is encrypted) and never contain personal data (SHRED-4): an auditor
 * can read every leaf, and destroying a payload leaves its leaf intact.
 *
 *   postfach-leaf/1
 *   seq 42
 *   kind whatsapp.webhook
 *   at 2026-11-30T09:00:00.000Z
 *   payload-sha256 9f86d081…
 */
export type LeafFields = { seq: number; kind: string; at: string; payloadSha256: string }

const HEADER = 'postfach-leaf/1'
const FIELD = /^[\x21-\x7e]+$/

export function encodeLeaf(f: LeafFields): Buffer {
  for (const v of [f.kind, f.at, f.payloadSha256]) if (!FIELD.test(v)) throw new Error(`leaf field ${JSON.stringify(v)} is not printable ASCII without spaces`)
  return Buffer.from(`${HEADER}\nseq ${f.seq}\nkind ${f.kind}\nat ${f.at}\npayload-sha256 ${f.payloadSha256}\n`)
}

export function decodeLeaf(bytes: Uint8Array): LeafFields | undefined {
  const m = /^postfach-leaf\/1\nseq (\d+)\nkind (\S+)\nat (\S+)\npayload-sha256 ([0-9a-f]{64})\n$/.exec(Buffer.from(bytes).toString('utf8'))
  return m ? { seq: Number(m[1]), kind: m[2]!, at: m[3]!, payloadSha256: m[4]! } : undefined
}

export const payloadDigest = (stored: Uint8Array): string => createHash('sha256').update(stored).digest('hex')

/** The leaf for a journal row as stored. */
export const leafOfJournalRow = (row: { seq: number; kind: string; received_at: string; content: Uint8Array | null; content_sha256: string }): Buffer =>
  encodeLeaf({ seq: Number(row.seq), kind: row.kind, at: row.received_at, payloadSha256: row.content ? payloadDigest(row.content) : row.content_sha256 })
