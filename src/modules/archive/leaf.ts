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

export function encodeLeaf(f: LeafFields): Buffer {
  for (const v of [f.kind, f.at, f.storedSha256, f.commitment]) if (!FIELD.test(v)) throw new Error(`leaf field ${JSON.stringify(v)} is not printable ASCII without spaces`)
  return Buffer.from(`postfach-leaf/1\nseq ${f.seq}\nkind ${f.kind}\nat ${f.at}\nstored-sha256 ${f.storedSha256}\ncommitment ${f.commitment}\n`)
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
