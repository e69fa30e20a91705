import { describe, expect, it } from 'vitest'
import { consistencyProof, EMPTY_ROOT, inclusionProof, leafHash, memorySource, nodeHash, rootOf, verifyConsistency, verifyInclusion } from '../src/modules/archive/merkle.js'

// Test vectors of compliance.md §2.1 (transparency-dev/merkle).
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => leafHash(Buffer.from(h, 'hex')))
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]
const mth = memorySource(LEAVES)
const root = (n: number) => rootOf(n, mth)
const hex = (b: Buffer[]) => b.map((x) => x.toString('hex'))
/** The vectors abbreviate hashes as `first8…last4`. */
const abbreviated = (proof: Buffer[], expected: string[]) => {
  expect(proof).toHaveLength(expected.length)
  proof.forEach((p, i) => {
    const [head, tail] = expected[i]!.split('…')
    expect(p.toString('hex').startsWith(head!)).toBe(true)
    if (tail) expect(p.toString('hex').endsWith(tail)).toBe(true)
  })
}
const flip = (b: Buffer, bit = 0) => {
  const c = Buffer.from(b)
  c[bit >> 3]! ^= 1 << (bit & 7)
  return c
}

describe('ARCH-1: RFC 6962 hashing and proofs reproduce the reference vectors', () => {
  it('hashes leaves and nodes with domain separation', () => {
    expect(EMPTY_ROOT.toString('hex')).toMatch(/^e3b0c442/)
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d')
    expect(leafHash(Buffer.from('L123456')).toString('hex')).toBe('395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56')
    expect(nodeHash(Buffer.from('N123'), Buffer.from('N456')).toString('hex')).toBe('aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb')
  })

  it('computes the root of every prefix', () => {
    expect(hex(ROOTS.map((_, i) => root(i + 1)))).toEqual(ROOTS)
    expect(root(0).equals(EMPTY_ROOT)).toBe(true)
  })

  it('builds the reference inclusion proofs and verifies every leaf of every tree', () => {
    abbreviated(inclusionProof(0, 8, mth), ['96a296d2…cfc7', '5f083f0a…031e', '6b47aaf2…f6e4'])
    abbreviated(inclusionProof(5, 8, mth), ['bc1a0643…9e6b', 'ca854ea1…0ae0', 'd37ee418…14b7'])
    abbreviated(inclusionProof(2, 3, mth), ['fac54203…c125'])
    abbreviated(inclusionProof(1, 5, mth), ['6e340b9c…a01d', '5f083f0a…031e', 'bc1a0643…9e6b'])
    for (let n = 1; n <= 8; n++) for (let m = 0; m < n; m++) expect(verifyInclusion(m, n, LEAVES[m]!, inclusionProof(m, n, mth), root(n))).toBe(true)
  })

  it('builds the reference consistency proofs and verifies every pair of sizes', () => {
    abbreviated(consistencyProof(1, 8, mth), ['96a296d2', '5f083f0a', '6b47aaf2'])
    abbreviated(consistencyProof(6, 8, mth), ['0ebc5d34…ef6a', 'ca854ea1', 'd37ee418'])
    expect(hex(consistencyProof(6, 7, mth))[1]).toBe('b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f')
    abbreviated(consistencyProof(2, 5, mth), ['5f083f0a', 'bc1a0643'])
    for (let n = 1; n <= 8; n++) for (let m = 1; m <= n; m++) expect(verifyConsistency(m, n, root(m), root(n), consistencyProof(m, n, mth))).toBe(true)
    expect(verifyConsistency(0, 5, EMPTY_ROOT, root(5), [])).toBe(true)
  })

  it('rejects every tampered inclusion proof (negative suite)', () => {
    const [m, n] = [5, 8]
    const proof = inclusionProof(m, n, mth)
    const ok = (idx: number, size: number, leaf: Buffer, p: Buffer[], r: Buffer) => verifyInclusion(idx, size, leaf, p, r)
    expect(ok(m, n, LEAVES[m]!, proof, root(n))).toBe(true)
    for (const idx of [m - 1, m + 1, m ^ 2, n, -1]) expect(ok(idx, n, LEAVES[m]!, proof, root(n))).toBe(false)
    for (const size of [n * 2, n / 2]) expect(ok(m, size, LEAVES[m]!, proof, root(n))).toBe(false)
    expect(ok(m, n, LEAVES[m + 1]!, proof, root(n))).toBe(false)
    expect(ok(m, n, LEAVES[m]!, proof, Buffer.alloc(0))).toBe(false)
    expect(ok(m, n, LEAVES[m]!, proof, leafHash(Buffer.from('random')))).toBe(false)
    expect(ok(m, n, LEAVES[m]!, [...proof, LEAVES[0]!], root(n))).toBe(false)
    expect(ok(m, n, LEAVES[m]!, [LEAVES[0]!, ...proof], root(n))).toBe(false)
    expect(ok(m, n, LEAVES[m]!, proof.slice(0, -1), root(n))).toBe(false)
    expect(ok(m, n, LEAVES[m]!, [], root(n))).toBe(false)
    for (let i = 0; i < proof.length; i++) for (const bit of [0, 77, 255]) expect(ok(m, n, LEAVES[m]!, proof.map((p, j) => (j === i ? flip(p, bit) : p)), root(n))).toBe(false)
    // The classic port bug: index equal to the size must fail.
    expect(verifyInclusion(1, 1, LEAVES[0]!, [], root(1))).toBe(false)
  })

  it('rejects every tampered consistency proof (negative suite)', () => {
    const cases: [number, number][] = [[1, 8], [6, 8], [6, 7], [2, 5], [3, 7], [4, 7]]
    for (const [m, n] of cases) {
      const proof = consistencyProof(m, n, mth)
      const ok = (p: Buffer[], a = root(m), b = root(n), mm = m, nn = n) => verifyConsistency(mm, nn, a, b, p)
      expect(ok(proof)).toBe(true)
      expect(ok([])).toBe(false)
      expect(ok(proof, root(n), root(m))).toBe(false) // swapped roots
      expect(ok([...proof, LEAVES[0]!])).toBe(false)
      expect(ok([LEAVES[0]!, ...proof])).toBe(false)
      expect(ok(proof.slice(1))).toBe(false)
      if (m > 1) expect(ok(proof, root(m - 1), root(n), m - 1, n)).toBe(false)
      for (let i = 0; i < proof.length; i++) expect(ok(proof.map((p, j) => (j === i ? flip(p, 9) : p)))).toBe(false)
    }
    expect(verifyConsistency(3, 3, root(3), root(3), [])).toBe(true)
    expect(verifyConsistency(3, 3, root(3), root(4), [])).toBe(false)
    expect(verifyConsistency(5, 3, root(5), root(3), [])).toBe(false)
  })
})
