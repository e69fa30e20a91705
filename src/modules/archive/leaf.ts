import { hash } from 'node:crypto'

/**
 * The canonical bytes of a log leaf, version 1: UTF-8 lines, each `name value`, in this order,
 * ending in a newline. A leaf commits to the payload's bytes as stored (ciphertext when sealed)
 * and to `SHA-256(salt ‖ payload)`, the salt sealed with the payload; for a payload stored as
 * received (no personal data in it) both are its SHA-256. No leaf holds personal data or an
 * unsalted hash of it (SHRED-4): an auditor can read every leaf, and shredding leaves it intact.
 *
 *   postfach-leaf/1
 *   seq 42
 *   kind whatsapp.webhook
 *   at 2026-11-30T09:00:00.000Z
 *   stored-sha256 9f86d081…
 *   commitment 3b1c5e07…
 */
export type LeafFields = { seq: number; kind: string; at: string; storedSha256: string; commitment: string }

const FIELD = /^[\x21-\x7e]+$/

const invalidField = (f: LeafFields) => [f.kind, f.at, f.storedSha256, f.commitment].find((v) => !FIELD.test(v))
const leafText = (f: LeafFields) => `postfach-leaf/1\nseq ${f.seq}\nkind ${f.kind}\nat ${f.at}\nstored-sha256 ${f.storedSha256}\ncommitment ${f.commitment}\n`

export function encodeLeaf(f: LeafFields): Buffer {
  const invalid = invalidField(f)
  if (invalid !== undefined) throw new Error(`leaf field ${JSON.stringify(invalid)} is not printable ASCII without spaces`)
  return Buffer.from(leafText(f))
}

let scratch = Buffer.alloc(512)
/**
 * Whether `bytes` are exactly the leaf of these fields; false for fields no leaf can hold (a
 * changed entry, not an error). Verification asks this of every leaf, so no buffer is made for it.
 * A string is the leaf read as text (SQLite's verification): a leaf is ASCII, so text and bytes agree.
 */
export function isLeafOf(bytes: Uint8Array | string, f: LeafFields): boolean {
  if (invalidField(f) !== undefined) return false
  const text = leafText(f) // printable ASCII: one byte per character
  if (typeof bytes === 'string') return text === bytes
  if (text.length !== bytes.length) return false
  if (text.length > scratch.length) scratch = Buffer.alloc(text.length * 2)
  scratch.write(text, 0, 'latin1')
  return scratch.compare(bytes, 0, bytes.length, 0, text.length) === 0
}

export function decodeLeaf(bytes: Uint8Array): LeafFields | undefined {
  const m = /^postfach-leaf\/1\nseq (\d+)\nkind (\S+)\nat (\S+)\nstored-sha256 ([0-9a-f]{64})\ncommitment ([0-9a-f]{64})\n$/.exec(Buffer.from(bytes).toString('utf8'))
  return m ? { seq: Number(m[1]), kind: m[2]!, at: m[3]!, storedSha256: m[4]!, commitment: m[5]! } : undefined
}

export const payloadDigest = (stored: Uint8Array): string => hash('sha256', stored, 'hex')

/** The leaf for a journal row as stored (`storedSha256`: the digest of its stored bytes, when the caller has it already). */
export function leafOfJournalRow(row: { seq: number; kind: string; received_at: string; content: Uint8Array | null; content_sha256: string; commitment: string | null }, storedSha256 = row.content ? payloadDigest(row.content) : row.content_sha256): Buffer {
  return encodeLeaf({ seq: Number(row.seq), kind: row.kind, at: row.received_at, storedSha256, commitment: row.commitment ?? storedSha256 })
}

/** The same leaf from the digests recorded at append time, without reading the payload back (the integrator's way; the verifier reads the bytes). */
export function leafOfJournalDigests(row: { seq: number; kind: string; received_at: string; content_sha256: string; stored_sha256: string | null; commitment: string | null }): Buffer {
  const storedSha256 = row.stored_sha256 ?? row.content_sha256
  return encodeLeaf({ seq: Number(row.seq), kind: row.kind, at: row.received_at, storedSha256, commitment: row.commitment ?? storedSha256 })
}
