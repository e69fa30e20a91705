import { type ExpressionBuilder, sql } from 'kysely'
import type { Executor } from '../../db/database.js'
import type { Database } from '../../db/schema.js'
import { completeSubtrees, foldRight, Frontier, type NodeKey, type TreeNode } from './compact-range.js'
import { consistencyProof, inclusionProof, leafHash, nodeHash, rootOf, type SubtreeSource } from './merkle.js'

const keyOf = (k: NodeKey) => `${k.level}:${k.idx}`

/**
 * Nodes are stored on every fourth level only (4, 8, 12 …), each the root of 16 nodes of the
 * stored level below it (level 4: of 16 leaves) — Tessera's tiles, 16 wide: a fifteenth of the
 * rows of storing every node, so verification reads little beyond the leaves, while a proof
 * recomputes at most 15 hashes per four levels (leaf hashes from the leaves themselves). Wider
 * tiles (256) made proofs hash hundreds of nodes: several milliseconds in Node.
 */
export const STORED_LEVEL_STEP = 4
export const isStoredLevel = (level: number) => level > 0 && level % STORED_LEVEL_STEP === 0

const TILE = 2 ** STORED_LEVEL_STEP
const QUERY_RANGES = 400

/**
 * The hashes of the given nodes, computed from the tiles of the stored levels at or below them
 * (one query per few hundred runs of indices); throws if one is missing (the log is damaged).
 */
export async function readNodes(db: Executor, keys: NodeKey[]): Promise<Map<string, Buffer>> {
  const unique = [...new Map(keys.map((k) => [keyOf(k), k])).values()]
  // Every key reaches down to the stored level at or below it (leaves under level 4).
  const wanted = new Map<number, Set<number>>()
  for (const k of unique) {
    const base = k.level - (k.level % STORED_LEVEL_STEP)
    const span = 2 ** (k.level - base)
    let set = wanted.get(base)
    if (!set) wanted.set(base, (set = new Set()))
    // Whole tiles (16 aligned hashes): one index range per tile, where the exact hashes would make two or three.
    const first = Math.floor((k.idx * span) / TILE) * TILE
    for (let i = first; i < (k.idx + 1) * span; i++) set.add(i)
    for (let i = (k.idx + 1) * span; i % TILE !== 0; i++) set.add(i)
  }
  const read = new Map<string, Buffer>()
  const runs = [...wanted].flatMap(([level, idxs]) => runsOf(idxs).map((run) => ({ level, run })))
  for (let i = 0; i < runs.length; i += QUERY_RANGES) {
    for (const r of await readRuns(db, runs.slice(i, i + QUERY_RANGES))) read.set(`${r.level}:${Number(r.idx)}`, r.level === 0 ? leafHash(r.bytes) : Buffer.from(r.bytes))
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

/** Indices as sorted runs [first, last] of consecutive ones. */
function runsOf(idxs: Set<number> | undefined): [number, number][] {
  const runs: [number, number][] = []
  for (const i of [...(idxs ?? [])].sort((a, b) => a - b)) {
    const last = runs.at(-1)
    if (last && last[1] === i - 1) last[1] = i
    else runs.push([i, i])
  }
  return runs
}

type IdxExpressions = ExpressionBuilder<Database, 'archive_leaves' | 'archive_nodes'>
const inRun = (eb: IdxExpressions, [a, b]: [number, number]) => (a === b ? eb('idx', '=', a) : eb.between('idx', a, b))
type Run = { level: number; run: [number, number] }

/** Leaves (level 0: their bytes, to be hashed) and stored nodes in one query: a proof costs one round trip. */
function readRuns(db: Executor, runs: Run[]): Promise<{ level: number; idx: number | string; bytes: Uint8Array }[]> {
  const leafRuns = runs.filter((r) => r.level === 0)
  const nodeRuns = runs.filter((r) => r.level > 0)
  const leaves = db
    .selectFrom('archive_leaves')
    .select([sql<number>`0`.as('level'), 'idx', 'leaf_data as bytes'])
    .where((eb) => eb.or(leafRuns.map(({ run }) => inRun(eb as never, run))))
  const nodes = db
    .selectFrom('archive_nodes')
    .select(['level', 'idx', 'hash as bytes'])
    .where((eb) => eb.or(nodeRuns.map(({ level, run }) => eb.and([eb('level', '=', level), inRun(eb as never, run)]))))
  if (nodeRuns.length === 0) return leaves.execute()
  if (leafRuns.length === 0) return nodes.execute()
  return leaves.unionAll(nodes).execute()
}

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
