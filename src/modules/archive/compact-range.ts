import { EMPTY_ROOT, nodeHash } from './merkle.js'

/** A stored node: the hash of leaves [idx·2^level, (idx+1)·2^level). Level 0 is a leaf hash. */
export type TreeNode = { level: number; idx: number; hash: Buffer }
export type NodeKey = { level: number; idx: number }

/**
 * The complete subtrees that make up [start, end), left to right, each as large as its alignment
 * allows. For the ranges RFC 6962's recursion asks for, folding their hashes from the right gives
 * MTH(start, end), so any root or proof needs only these stored nodes.
 */
export function completeSubtrees(start: number, end: number): NodeKey[] {
  const out: NodeKey[] = []
  while (start < end) {
    let level = 0
    while (start % 2 ** (level + 1) === 0 && start + 2 ** (level + 1) <= end) level++
    out.push({ level, idx: start / 2 ** level })
    start += 2 ** level
  }
  return out
}

export const foldRight = (hashes: readonly Buffer[]): Buffer => {
  if (hashes.length === 0) return EMPTY_ROOT
  let h = hashes[hashes.length - 1]!
  for (let i = hashes.length - 2; i >= 0; i--) h = nodeHash(hashes[i]!, h)
  return h
}

/**
 * The right edge of the tree (the compact range [0, size)): enough to append leaves and to
 * compute the root without reading anything else, as Tessera's integrator does.
 */
export class Frontier {
  private constructor(
    private nodes: TreeNode[],
    private count: number,
  ) {}

  static empty(): Frontier {
    return new Frontier([], 0)
  }

  /**
   * The tree from leaf `start` on, as if nothing came before: for verifying one aligned slice of
   * the log on its own (`start` a multiple of the largest subtree the slice will complete). Nodes
   * carry their indices in the whole tree.
   */
  static startingAt(start: number): Frontier {
    return new Frontier([], start)
  }

  /** From the stored nodes of `completeSubtrees(0, size)`, in that order. */
  static of(size: number, nodes: TreeNode[]): Frontier {
    return new Frontier([...nodes], size)
  }

  get size(): number {
    return this.count
  }

  copy(): Frontier {
    return new Frontier([...this.nodes], this.count)
  }

  /** Appends a leaf hash and returns every node it completes (the leaf itself first). */
  append(leafHash: Buffer): TreeNode[] {
    return this.appendSubtree(0, leafHash)
  }

  /**
   * Appends the root of a complete subtree of 2^level leaves (the size must be a multiple of
   * them) and returns every node it completes, itself first.
   */
  appendSubtree(level: number, hash: Buffer): TreeNode[] {
    if (this.count % 2 ** level !== 0) throw new Error(`a subtree of level ${level} cannot start at leaf ${this.count}`)
    let node: TreeNode = { level, idx: this.count / 2 ** level, hash }
    const created = [node]
    for (let last = this.nodes.at(-1); last && last.level === node.level; last = this.nodes.at(-1)) {
      this.nodes.pop()
      node = { level: node.level + 1, idx: last.idx / 2, hash: nodeHash(last.hash, node.hash) }
      created.push(node)
    }
    this.nodes.push(node)
    this.count += 2 ** level
    return created
  }

  /** The complete subtrees making up the range, left to right (`foldRight` of their hashes is its root). */
  subtrees(): TreeNode[] {
    return [...this.nodes]
  }

  hashes(): Buffer[] {
    return this.nodes.map((n) => n.hash)
  }

  root(): Buffer {
    return foldRight(this.nodes.map((n) => n.hash))
  }
}
