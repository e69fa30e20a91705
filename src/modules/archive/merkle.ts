import { createHash, hash, timingSafeEqual } from 'node:crypto'

/**
 * The Merkle tree of RFC 6962 / RFC 9162 (Certificate Transparency), the structure the archive's
 * log rests on: leaf hash SHA-256(0x00 ‖ data), node hash SHA-256(0x01 ‖ left ‖ right), split at
 * the largest power of two below n. Ported step by step from the RFC text (compliance.md §2.1),
 * including the verifiers, which any auditor can re-implement from the same text.
 */
const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}

const NODE = Buffer.from([0x01])
export const EMPTY_ROOT = sha256()

// One-shot hashing (no Hash object per call) over a reused prefixed buffer (no copy allocated per
// call): the log hashes a leaf and about one node per entry, and verification does it for every
// entry, so this is its hottest path. (A string is a leaf read as text, one byte per character.)
let prefixed = Buffer.alloc(1024) // byte 0 stays 0x00
export const leafHash = (data: Uint8Array | string): Buffer => {
  if (data.length >= prefixed.length) prefixed = Buffer.alloc(data.length * 2)
  if (typeof data === 'string') prefixed.write(data, 1, 'latin1')
  else prefixed.set(data, 1)
  return hash('sha256', prefixed.subarray(0, data.length + 1), 'buffer')
}
const pair = Buffer.alloc(65, 0x01)
export const nodeHash = (left: Uint8Array, right: Uint8Array): Buffer => {
  if (left.length !== 32 || right.length !== 32) return sha256(NODE, left, right)
  pair.set(left, 1)
  pair.set(right, 33)
  return hash('sha256', pair, 'buffer')
}

/** The largest power of two strictly smaller than n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/** Where the hashes of subtrees come from: leaf hashes in memory here, stored subtree hashes in the log. */
export type SubtreeSource = (start: number, end: number) => Buffer

/** MTH over the leaf hashes [start, end), computed from the leaves. */
export function memorySource(leaves: readonly Buffer[]): SubtreeSource {
  const mth: SubtreeSource = (start, end) => {
    if (end - start === 1) return leaves[start]!
    const k = splitPoint(end - start)
    return nodeHash(mth(start, start + k), mth(start + k, end))
  }
  return mth
}

export function rootOf(size: number, mth: SubtreeSource): Buffer {
  return size === 0 ? EMPTY_ROOT : mth(0, size)
}

/** PATH(m, D[n]): the audit path of leaf m, from the sibling nearest the leaf up to the root. */
export function inclusionProof(m: number, size: number, mth: SubtreeSource): Buffer[] {
  if (m < 0 || m >= size) throw new RangeError(`leaf ${m} is not in a tree of size ${size}`)
  const path = (m: number, start: number, end: number): Buffer[] => {
    if (end - start === 1) return []
    const k = splitPoint(end - start)
    return m < k ? [...path(m, start, start + k), mth(start + k, end)] : [...path(m - k, start + k, end), mth(start, start + k)]
  }
  return path(m, 0, size)
}

/** PROOF(m, D[n]) for 0 < m ≤ n: the tree of size m is a prefix of the tree of size n. */
export function consistencyProof(m: number, size: number, mth: SubtreeSource): Buffer[] {
  if (m <= 0 || m > size) throw new RangeError(`no consistency proof from ${m} to ${size}`)
  const sub = (m: number, start: number, end: number, complete: boolean): Buffer[] => {
    if (m === end - start) return complete ? [] : [mth(start, end)]
    const k = splitPoint(end - start)
    return m <= k ? [...sub(m, start, start + k, complete), mth(start + k, end)] : [...sub(m - k, start + k, end, false), mth(start, start + k)]
  }
  return sub(m, 0, size, true)
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b)

/** RFC 9162 §2.1.3.2. */
export function verifyInclusion(leafIndex: number, treeSize: number, leaf: Uint8Array, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) return false
  let fn = leafIndex
  let sn = treeSize - 1
  let r: Uint8Array = leaf
  for (const p of path) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r)
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2)
        sn = Math.floor(sn / 2)
      }
    } else {
      r = nodeHash(r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && same(r, root)
}

/** RFC 9162 §2.1.4.2, with the trivial cases (first = second, first = 0) decided first. */
export function verifyConsistency(first: number, second: number, firstHash: Uint8Array, secondHash: Uint8Array, path: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false
  if (first === second) return path.length === 0 && same(firstHash, secondHash)
  if (first === 0) return path.length === 0
  if (path.length === 0) return false
  const proof = (first & (first - 1)) === 0 ? [firstHash, ...path] : [...path]
  let fn = first - 1
  let sn = second - 1
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  let fr: Uint8Array = proof[0]!
  let sr: Uint8Array = proof[0]!
  for (const c of proof.slice(1)) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2)
        sn = Math.floor(sn / 2)
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return same(fr, firstHash) && same(sr, secondHash) && sn === 0
}
