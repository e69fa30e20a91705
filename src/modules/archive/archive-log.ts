import { sql } from 'kysely'
import { type DatabaseHandle, type Executor, relaxedTransaction } from '../../db/database.js'
import { nowIso } from '../../platform/time.js'
import { journalHorizon } from '../journal/journal.repo.js'
import { signCheckpoint } from './checkpoint.js'
import type { Frontier, TreeNode } from './compact-range.js'
import { leafOfJournalDigests } from './leaf.js'
import { leafHash } from './merkle.js'
import type { ArchiveKey } from './signing-key.js'
import { anchorCheckpoints } from './timestamping.js'
import { isStoredLevel, loadFrontier } from './tree-store.js'

export type ArchiveLogOptions = {
  checkpointEntries: number
  checkpointIntervalMs: number
  batch?: number
  tickMs?: number
  /** RFC 3161 TSA: every checkpoint gets a time stamp, retried until it has one. */
  tsaUrl?: string | undefined
}
export type CheckpointRow = { size: number; rootHash: string; note: string; createdAt: string }

const INSERT_CHUNK = 500

/**
 * The integrator: takes committed journal entries in sequence order into the Merkle log (leaf and
 * the subtrees it completes on the stored levels, in one transaction) and signs a checkpoint every N
 * entries or T seconds and on shutdown. Leaves are derived from the journal deterministically, so
 * a batch lost in a power cut is simply integrated again; the journal itself is the durable record.
 */
export class ArchiveLog {
  private frontier: Frontier | undefined
  private lastSeq = 0
  private checkpointed: { size: number; at: number } | undefined
  private chain: Promise<unknown> = Promise.resolve()
  private timer: NodeJS.Timeout | undefined
  private readonly batch: number

  constructor(
    private readonly database: DatabaseHandle,
    private readonly key: ArchiveKey,
    private readonly opts: ArchiveLogOptions,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.batch = opts.batch ?? 2000
  }

  /** What a verifier needs: the key name (the origin) and the public key. */
  get verifierKey(): Pick<ArchiveKey, 'name' | 'publicKey'> {
    return { name: this.key.name, publicKey: this.key.publicKey }
  }

  start(): void {
    this.timer ??= setInterval(() => void this.sync().catch(this.onError), this.opts.tickMs ?? 250)
    this.timer.unref()
  }

  /** Stops the timer, then takes in everything committed and signs a final checkpoint. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    await this.sync({ forceCheckpoint: true })
    await this.anchoring
  }

  /** Integrates every committed entry, then checkpoints when one is due (or forced). Serialised within the process. */
  sync(o: { forceCheckpoint?: boolean } = {}): Promise<CheckpointRow | undefined> {
    const run = this.chain.then(async () => {
      while ((await this.integrateBatch()) === this.batch) {}
      const checkpoint = await this.checkpointIfDue(o.forceCheckpoint ?? false)
      void this.anchorPending()
      return checkpoint
    })
    this.chain = run.catch(() => {})
    return run
  }

  /** The log's size as this process knows it. */
  get size(): number {
    return this.frontier?.size ?? 0
  }

  private async integrateBatch(): Promise<number> {
    // Idle ticks cost one indexed read, not a horizon lock and a transaction beside ingest. (Ordered:
    // without statistics PostgreSQL read `seq > n limit 1` by scanning the table from its start.)
    if (this.frontier && !(await this.database.db.selectFrom('journal').select('seq').where('seq', '>', this.lastSeq).orderBy('seq').limit(1).executeTakeFirst())) return 0
    const horizon = await journalHorizon(this.database)
    if (horizon === null) return 0 // appends in flight for longer than a moment: next round
    const outcome = await relaxedTransaction(this.database, async (tx) => {
      // Several instances may share a PostgreSQL database: one integrates at a time.
      if (this.database.dialect === 'postgres') {
        const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(20261130, hashtext(current_schema())) as ok`.execute(tx)
        if (!rows[0]?.ok) return undefined
      }
      const frontier = await this.currentFrontier(tx)
      const lastSeq = this.frontier === frontier ? this.lastSeq : await lastJournalSeq(tx, frontier.size)
      let query = tx.selectFrom('journal').select(['seq', 'kind', 'received_at', 'content_sha256', 'stored_sha256', 'commitment']).where('seq', '>', lastSeq).orderBy('seq').limit(this.batch)
      if (horizon !== undefined) query = query.where('seq', '<=', horizon)
      const rows = await query.execute()
      const next = frontier.copy()
      const leaves: { idx: number; journal_seq: number; leaf_data: Buffer }[] = []
      const nodes: TreeNode[] = []
      for (const row of rows) {
        const data = leafOfJournalDigests(row)
        leaves.push({ idx: next.size, journal_seq: Number(row.seq), leaf_data: data })
        for (const node of next.append(leafHash(data))) if (isStoredLevel(node.level)) nodes.push(node)
      }
      for (let i = 0; i < leaves.length; i += INSERT_CHUNK) await tx.insertInto('archive_leaves').values(leaves.slice(i, i + INSERT_CHUNK)).execute()
      for (let i = 0; i < nodes.length; i += INSERT_CHUNK) await tx.insertInto('archive_nodes').values(nodes.slice(i, i + INSERT_CHUNK)).execute()
      return { next, lastSeq: leaves.at(-1)?.journal_seq ?? lastSeq, added: leaves.length }
    })
    if (!outcome) return 0
    // Only after the commit: a failed batch leaves the in-memory edge as the database has it.
    this.frontier = outcome.next
    this.lastSeq = outcome.lastSeq
    return outcome.added
  }

  private anchorFailedAt = 0
  /** The last run asked for (runs go one after another), and one not yet started that new calls join. */
  private anchoring: Promise<void> = Promise.resolve()
  private anchorQueued: Promise<void> | undefined

  /**
   * Time stamps for checkpoints that lack one, beside the log (a slow TSA never holds up
   * integration); a failing TSA is tried again after a minute. Resolves when every checkpoint
   * known at the call has had its turn: a call during a run queues one more run (joined by
   * further calls until it starts), so a checkpoint written meanwhile is never left out.
   */
  anchorPending(o: { retryNow?: boolean } = {}): Promise<void> {
    const url = this.opts.tsaUrl
    if (!url || (!o.retryNow && Date.now() - this.anchorFailedAt < 60_000)) return this.anchoring
    if (this.anchorQueued) return this.anchorQueued
    const run = this.anchoring.then(async () => {
      this.anchorQueued = undefined
      try {
        await anchorCheckpoints(this.database.db, url)
      } catch (error) {
        this.anchorFailedAt = Date.now()
        this.onError(error)
      }
    })
    this.anchorQueued = run
    this.anchoring = run
    return run
  }

  /** The in-memory right edge, reloaded when another instance has moved the log on. */
  private async currentFrontier(tx: Executor): Promise<Frontier> {
    if (this.frontier) {
      const row = await tx.selectFrom('archive_leaves').select('idx').where('idx', '=', this.frontier.size).executeTakeFirst()
      if (!row) return this.frontier
    }
    return loadFrontier(tx)
  }

  private async checkpointIfDue(force: boolean): Promise<CheckpointRow | undefined> {
    const frontier = this.frontier
    if (!frontier || frontier.size === 0) return undefined
    const last = (this.checkpointed ??= { size: await latestCheckpointSize(this.database.db), at: Date.now() })
    const grown = frontier.size - last.size
    if (grown <= 0) return undefined
    if (!force && grown < this.opts.checkpointEntries && Date.now() - last.at < this.opts.checkpointIntervalMs) return undefined
    const root = frontier.root()
    const note = signCheckpoint({ origin: this.key.name, size: frontier.size, root }, this.key)
    const row = { size: frontier.size, root_hash: root.toString('hex'), note, created_at: nowIso() }
    await this.database.db.insertInto('archive_checkpoints').values(row).onConflict((oc) => oc.column('size').doNothing()).execute()
    this.checkpointed = { size: frontier.size, at: Date.now() }
    return { size: row.size, rootHash: row.root_hash, note, createdAt: row.created_at }
  }
}

async function lastJournalSeq(db: Executor, size: number): Promise<number> {
  if (size === 0) return 0
  const row = await db.selectFrom('archive_leaves').select('journal_seq').where('idx', '=', size - 1).executeTakeFirstOrThrow()
  return Number(row.journal_seq)
}

async function latestCheckpointSize(db: Executor): Promise<number> {
  const row = await db.selectFrom('archive_checkpoints').select(sql<number | null>`max(size)`.as('size')).executeTakeFirst()
  return Number(row?.size ?? 0)
}

export async function latestCheckpoint(db: Executor): Promise<CheckpointRow | undefined> {
  const row = await db.selectFrom('archive_checkpoints').selectAll().orderBy('size', 'desc').limit(1).executeTakeFirst()
  return row ? { size: Number(row.size), rootHash: row.root_hash, note: row.note, createdAt: row.created_at } : undefined
}
