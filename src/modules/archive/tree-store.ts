import { type ExpressionBuilder, sql } from 'kysely'
import type { Executor } from '../../db/database.js'
import type { Database } from '../../db/schema.js'
import { completeSubtrees, foldRight, Frontier, type NodeKey, type TreeNode } from './compact-range.js'
import { consistencyProof, inclusionProof, rootOf, type SubtreeSource } from './merkle.js'

const keyOf = (k: NodeKey) => `${k.level}:${k.idx}`

const NODE_QUERY_KEYS = 4000

/** Reads the given nodes (a query per few thousand); throws if one is missing (the log is damaged). */
export async function readNodes(db: Executor, keys: NodeKey[]): Promise<Map<string, Buffer>> {
  const unique = [...new Map(keys.map((k) => [keyOf(k), k])).values()]
  if (unique.length <= NODE_QUERY_KEYS) return readNodeBatch(db, unique)
  const out = new Map<string, Buffer>()
  for (let i = 0; i < unique.length; i += NODE_QUERY_KEYS) for (const [k, v] of await readNodeBatch(db, unique.slice(i, i + NODE_QUERY_KEYS))) out.set(k, v)
  return out
}

async function readNodeBatch(db: Executor, keys: NodeKey[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  const byLevel = new Map<number, number[]>()
  for (const k of keys) {
    const list = byLevel.get(k.level)
    if (list) list.push(k.idx)
    else byLevel.set(k.level, [k.idx])
  }
  if (byLevel.size === 0) return out
  const rows = await db
    .selectFrom('archive_nodes')
    .select(['level', 'idx', 'hash'])
    .where((eb: ExpressionBuilder<Database, 'archive_nodes'>) => eb.or([...byLevel].map(([level, idxs]) => eb.and([eb('level', '=', level), eb('idx', 'in', [...new Set(idxs)])]))))
    .execute()
  for (const r of rows) out.set(`${r.level}:${Number(r.idx)}`, Buffer.from(r.hash))
  for (const k of keys) if (!out.has(keyOf(k))) throw new Error(`archive node ${keyOf(k)} is missing`)
  return out
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
