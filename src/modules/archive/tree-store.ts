import { type ExpressionBuilder, sql } from 'kysely'
import type { Executor } from '../../db/database.js'
import type { Database } from '../../db/schema.js'
import { completeSubtrees, foldRight, Frontier, type NodeKey, type TreeNode } from './compact-range.js'
import { consistencyProof, inclusionProof, leafHash, nodeHash, rootOf, type SubtreeSource } from './merkle.js'

const keyOf = (k: NodeKey) => `${k.level}:${k.idx}`

/**
 * Nodes are stored on every eighth level only (8, 16, 24 …), each the root of 256 nodes of the
 * stored level below it (level 8: of 256 leaves), as Tessera stores tiles of 256 hashes: a 256th
 * of the rows, so verification reads barely more than the leaves, while any other node costs at
 * most one range read of 255 hashes (leaf hashes from the leaves themselves).
 */
export const STORED_LEVEL_STEP = 8
export const isStoredLevel = (level: number) => level > 0 && level % STORED_LEVEL_STEP === 0

const QUERY_RANGES = 500

/**
 * The hashes of the given nodes, from the stored levels below them (a query per level and a few
 * hundred runs of indices); throws if one is missing (the log is damaged).
 */
export async function readNodes(db: Executor, keys: NodeKey[]): Promise<Map<string, Buffer>> {
  // Every key reaches down to the stored level at or below it (leaves for levels under 8).
  const unique = [...new Map(keys.map((k) => [keyOf(k), k])).values()]
  const wanted = new Map<number, Set<number>>()
  for (const k of unique) {
    const base = k.level - (k.level % STORED_LEVEL_STEP)
    const span = 2 ** (k.level - base)
    let set = wanted.get(base)
    if (!set) wanted.set(base, (set = new Set()))
    for (let i = k.idx * span; i < (k.idx + 1) * span; i++) set.add(i)
  }
  const read = new Map<string, Buffer>()
  for (const [level, idxs] of wanted) {
    const runs = runsOf([...idxs].sort((a, b) => a - b))
    for (let i = 0; i < runs.length; i += QUERY_RANGES) {
      const chunk = runs.slice(i, i + QUERY_RANGES)
      if (level === 0) for (const r of await readLeafRuns(db, chunk)) read.set(`0:${Number(r.idx)}`, leafHash(Buffer.from(r.leaf_data)))
      else for (const r of await readNodeRuns(db, level, chunk)) read.set(`${level}:${Number(r.idx)}`, Buffer.from(r.hash))
    }
  }
  const hashOf = (level: number, idx: number): Buffer => {
    const key = `${level}:${idx}`
    let hash = read.get(key)
    if (hash) return hash
    if (level % STORED_LEVEL_STEP === 0) throw new Error(`archive node ${key} is missing`)
    hash = nodeHash(hashOf(level - 1, 2 * idx), hashOf(level - 1, 2 * idx + 1))
    read.set(key, hash) // shared by the keys above it
    return hash
  }
  return new Map(unique.map((k) => [keyOf(k), hashOf(k.level, k.idx)]))
}

/** Sorted indices as runs [first, last] of consecutive ones. */
function runsOf(sorted: number[]): [number, number][] {
  const runs: [number, number][] = []
  for (const i of sorted) {
    const last = runs.at(-1)
    if (last && last[1] === i - 1) last[1] = i
    else runs.push([i, i])
  }
  return runs
}

const inRuns = (eb: ExpressionBuilder<Database, 'archive_leaves' | 'archive_nodes'>, runs: [number, number][]) => eb.or(runs.map(([a, b]) => (a === b ? eb('idx', '=', a) : eb.between('idx', a, b))))

const readLeafRuns = (db: Executor, runs: [number, number][]) =>
  db.selectFrom('archive_leaves').select(['idx', 'leaf_data']).where((eb) => inRuns(eb as never, runs)).execute()

const readNodeRuns = (db: Executor, level: number, runs: [number, number][]) =>
  db.selectFrom('archive_nodes').select(['idx', 'hash']).where('level', '=', level).where((eb) => inRuns(eb as never, runs)).execute()

/**
 * Runs a proof computation against the stored nodes: a first pass records which subtree hashes it
 * asks for, one query fetches their complete subtrees, a second pass computes. O(log² n) nodes at
 * most, whatever the size of the log.
 */
async function withStoredSubtrees<T>(db: Executor, compute: (mth: SubtreeSource) => T): Promise<T> {
  const asked: [number, number][] = []
  const placeholder = Buffer.alloc(32)
  compute((start, end) => {
    asked.push([start, end])
    return placeholder
  })
  const keys = asked.flatMap(([s, e]) => completeSubtrees(s, e))
  const nodes = await readNodes(db, keys)
  return compute((start, end) => foldRight(completeSubtrees(start, end).map((k) => nodes.get(keyOf(k))!)))
}

export const storedRoot = (db: Executor, size: number) => withStoredSubtrees(db, (mth) => rootOf(size, mth))
export const storedInclusionProof = (db: Executor, leafIndex: number, size: number) => withStoredSubtrees(db, (mth) => inclusionProof(leafIndex, size, mth))
/** Many inclusion proofs against one tree size, sharing their node reads (an export's proofs). */
export const storedInclusionProofs = (db: Executor, leafIndices: number[], size: number) => withStoredSubtrees(db, (mth) => leafIndices.map((m) => inclusionProof(m, size, mth)))
export const storedConsistencyProof = (db: Executor, from: number, to: number) => withStoredSubtrees(db, (mth) => consistencyProof(from, to, mth))

/** The number of leaves in the log (the next leaf index). */
export async function storedSize(db: Executor): Promise<number> {
  const row = await db.selectFrom('archive_leaves').select(sql<number | null>`max(idx)`.as('last')).executeTakeFirst()
  return row?.last === null || row?.last === undefined ? 0 : Number(row.last) + 1
}

export async function loadFrontier(db: Executor): Promise<Frontier> {
  const size = await storedSize(db)
  const keys = completeSubtrees(0, size)
  const nodes = await readNodes(db, keys)
  return Frontier.of(size, keys.map((k): TreeNode => ({ ...k, hash: nodes.get(keyOf(k))! })))
}
