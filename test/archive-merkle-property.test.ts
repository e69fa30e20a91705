import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { completeSubtrees, foldRight, Frontier } from '../src/modules/archive/compact-range.js'
import { consistencyProof, inclusionProof, leafHash, memorySource, rootOf, type SubtreeSource, verifyConsistency, verifyInclusion } from '../src/modules/archive/merkle.js'

/** A small seeded generator (mulberry32), so that a failure can be reproduced. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The tree as the log stores it: every complete subtree hash, made by appending leaf after leaf. */
function storedTree(leaves: Buffer[]): SubtreeSource {
  const nodes = new Map<string, Buffer>()
  const f = Frontier.empty()
  for (const l of leaves) for (const n of f.append(l)) nodes.set(`${n.level}:${n.idx}`, n.hash)
  return (start, end) => foldRight(completeSubtrees(start, end).map((k) => nodes.get(`${k.level}:${k.idx}`)!))
}

const flip = (b: Buffer, bit: number) => {
  const c = Buffer.from(b)
  c[bit >> 3]! ^= 1 << (bit & 7)
  return c
}

describe('ARCH-1 (property): random trees of 1 … 5000 leaves', () => {
  const random = rng(20261130)
  const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 255, 256, 257, 1023, 1024, 1025, 4095, 4096, 4097, 5000, ...Array.from({ length: 10 }, () => 1 + Math.floor(random() * 5000))]
  const pick = (n: number, count: number) => (n <= count ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: count }, () => Math.floor(random() * n)))

  for (const n of sizes) {
    it(`size ${n}: every sampled inclusion and consistency proof verifies, every single-bit corruption fails`, () => {
      const leaves = Array.from({ length: n }, (_, i) => leafHash(createHash('sha256').update(`${n}/${i}/${random()}`).digest()))
      const mth = storedTree(leaves)
      const root = rootOf(n, mth)
      if (n <= 300) expect(root.equals(rootOf(n, memorySource(leaves)))).toBe(true)
      const frontier = Frontier.empty()
      for (const l of leaves) frontier.append(l)
      expect(frontier.root().equals(root)).toBe(true)

      const indices = pick(n, 48)
      for (const [k, m] of indices.entries()) {
        const path = inclusionProof(m, n, mth)
        expect(verifyInclusion(m, n, leaves[m]!, path, root)).toBe(true)
        if (k === 0) {
          // Exhaustively, for one proof: every bit of the leaf, of each path element and of the root.
          for (let bit = 0; bit < 256; bit++) {
            expect(verifyInclusion(m, n, flip(leaves[m]!, bit), path, root)).toBe(false)
            expect(verifyInclusion(m, n, leaves[m]!, path, flip(root, bit))).toBe(false)
            for (let e = 0; e < path.length; e++) expect(verifyInclusion(m, n, leaves[m]!, path.map((p, j) => (j === e ? flip(p, bit) : p)), root)).toBe(false)
          }
        } else if (path.length > 0) {
          const e = Math.floor(random() * path.length)
          expect(verifyInclusion(m, n, leaves[m]!, path.map((p, j) => (j === e ? flip(p, Math.floor(random() * 256)) : p)), root)).toBe(false)
        }
        // The same proof does not place the leaf anywhere else.
        if (n > 1) expect(verifyInclusion(m === 0 ? 1 : m - 1, n, leaves[m]!, path, root)).toBe(false)
      }

      for (const [k, m] of pick(n, 24).map((i) => i + 1).entries()) {
        const path = consistencyProof(m, n, mth)
        const older = rootOf(m, mth)
        expect(verifyConsistency(m, n, older, root, path)).toBe(true)
        if (m === n) continue
        if (k === 0) {
          for (let bit = 0; bit < 256; bit++) {
            expect(verifyConsistency(m, n, flip(older, bit), root, path)).toBe(false)
            expect(verifyConsistency(m, n, older, flip(root, bit), path)).toBe(false)
            for (let e = 0; e < path.length; e++) expect(verifyConsistency(m, n, older, root, path.map((p, j) => (j === e ? flip(p, bit) : p)))).toBe(false)
          }
        } else {
          const e = Math.floor(random() * path.length)
          expect(verifyConsistency(m, n, older, root, path.map((p, j) => (j === e ? flip(p, Math.floor(random() * 256)) : p)))).toBe(false)
        }
      }
    })
  }
})
