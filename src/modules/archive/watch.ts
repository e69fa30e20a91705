import type { DatabaseHandle } from '../../db/database.js'
import { nowIso } from '../../platform/time.js'
import { audit } from '../privacy/audit.js'
import { recordBreach } from '../privacy/breach.routes.js'
import { verifyCheckpoint } from './checkpoint.js'
import { verifyConsistency } from './merkle.js'
import type { ArchiveKey } from './signing-key.js'
import { storedConsistencyProof, storedRoot, storedSize } from './tree-store.js'
import { checkedLeafPage, type VerifyProblem } from './verify-leaves.js'

/** GOBD-4: how promptly entries are committed and come under a signed checkpoint. */
export type Timeliness = {
  /** Age of the oldest entry no checkpoint covers yet (0: all covered). */
  uncheckpointedMs: number
  checkpointLimitMs: number
  /** p99 of webhook receipt to commit over the last webhooks (null: none yet). */
  commitP99Ms: number | null
  commitLimitMs: number
  overdue: boolean
}

export type IntegrityState = {
  ok: boolean
  checkedAt: string | null
  /** The latest checkpoint size the watch has proven consistent with all before it. */
  provenSize: number
  problems: VerifyProblem[]
  /** The draft incident opened in the breach register on the first failure. */
  breachId: string | null
}

/**
 * The continuous verifier: after every check it has proven each new checkpoint signed and
 * consistent with the one before (from the stored tree), and the most recent leaves equal to
 * what their stored journal entries give now. A failure is written to the audit log, opens a
 * draft incident in the breach register (a changed archive may be a breach, Art. 33) and stays
 * visible at GET /api/archive/status until someone has looked. `postfach archive verify` checks
 * everything; this checks what changes, cheaply, all the time.
 */
export class ArchiveWatch {
  private state: IntegrityState = { ok: true, checkedAt: null, provenSize: 0, problems: [], breachId: null }
  private timely: Timeliness = { uncheckpointedMs: 0, checkpointLimitMs: 0, commitP99Ms: null, commitLimitMs: 0, overdue: false }
  private timer: NodeJS.Timeout | undefined
  private running: Promise<IntegrityState> | undefined

  constructor(
    private readonly database: DatabaseHandle,
    private readonly key: Pick<ArchiveKey, 'name' | 'publicKey'>,
    private readonly opts: { intervalMs: number; recentLeaves: number; checkpointLimitMs?: number; commitLimitMs?: number; commitP99?: () => number | null },
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  get timeliness(): Timeliness {
    return this.timely
  }

  /** GOBD-4: the oldest entry without a checkpoint and the commit p99 against their limits; an overrun is logged once per episode. */
  private async checkTimeliness(): Promise<void> {
    const db = this.database.db
    const latest = await db.selectFrom('archive_checkpoints').select('size').orderBy('size', 'desc').limit(1).executeTakeFirst()
    const covered = Number(latest?.size ?? 0)
    const firstUncovered = await db.selectFrom('archive_leaves').select('journal_seq').where('idx', '=', covered).executeTakeFirst()
    let oldest: { received_at: string } | undefined
    if (firstUncovered) oldest = await db.selectFrom('journal').select('received_at').where('seq', '=', Number(firstUncovered.journal_seq)).executeTakeFirst()
    else {
      const lastLeaf = covered > 0 ? await db.selectFrom('archive_leaves').select('journal_seq').where('idx', '=', covered - 1).executeTakeFirst() : undefined
      oldest = await db.selectFrom('journal').select('received_at').where('seq', '>', Number(lastLeaf?.journal_seq ?? 0)).orderBy('seq').limit(1).executeTakeFirst()
    }
    const uncheckpointedMs = oldest ? Math.max(0, Date.now() - Date.parse(oldest.received_at)) : 0
    const checkpointLimitMs = this.opts.checkpointLimitMs ?? 60_000
    const commitLimitMs = this.opts.commitLimitMs ?? 1000
    const commitP99Ms = this.opts.commitP99?.() ?? null
    const overdue = uncheckpointedMs > checkpointLimitMs || (commitP99Ms !== null && commitP99Ms > commitLimitMs)
    if (overdue && !this.timely.overdue) {
      await audit(db, undefined, { action: 'archive.timeliness_exceeded', target: 'archive', detail: { uncheckpointedMs, checkpointLimitMs, commitP99Ms, commitLimitMs } })
    }
    this.timely = { uncheckpointedMs, checkpointLimitMs, commitP99Ms, commitLimitMs, overdue }
  }

  get status(): IntegrityState {
    return this.state
  }

  start(): void {
    this.timer ??= setInterval(() => void this.check().catch(this.onError), this.opts.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }

  check(): Promise<IntegrityState> {
    this.running ??= this.run().finally(() => (this.running = undefined))
    return this.running
  }

  private async run(): Promise<IntegrityState> {
    const db = this.database.db
    const problems: VerifyProblem[] = []
    // Checkpoints since the last proven one, each against its predecessor.
    const checkpoints = await db.selectFrom('archive_checkpoints').select(['size', 'root_hash', 'note']).where('size', '>=', this.state.provenSize).orderBy('size').execute()
    let previous: { size: number; root: Buffer } | undefined
    let proven = this.state.provenSize
    const size = await storedSize(db)
    for (const c of checkpoints) {
      const signed = verifyCheckpoint(c.note, this.key)
      const cSize = Number(c.size)
      if (!signed || signed.size !== cSize || signed.root.toString('hex') !== c.root_hash) {
        problems.push({ checkpointSize: cSize, code: 'checkpoint-signature', problem: 'the checkpoint signature or content does not verify' })
        continue
      }
      if (cSize > size) {
        problems.push({ checkpointSize: cSize, code: 'log-shortened', size, problem: `the checkpoint covers ${cSize} entries but the log holds only ${size}` })
        continue
      }
      const root = await storedRoot(db, cSize)
      if (!root.equals(signed.root)) problems.push({ checkpointSize: cSize, code: 'root-changed', problem: "the stored tree no longer produces the checkpoint's root" })
      else if (previous && previous.size < cSize && !verifyConsistency(previous.size, cSize, previous.root, root, await storedConsistencyProof(db, previous.size, cSize))) {
        problems.push({ checkpointSize: cSize, code: 'not-extension', previous: previous.size, problem: `checkpoint ${cSize} is not an extension of checkpoint ${previous.size}` })
      } else proven = cSize
      previous = { size: cSize, root }
    }
    await this.checkTimeliness()
    // The most recent leaves against their journal entries.
    const recent = await checkedLeafPage(this.database, Math.max(-1, size - 1 - this.opts.recentLeaves), this.opts.recentLeaves)
    for (const r of recent) if (r.problem) problems.push(r.problem)

    const failedNow = problems.length > 0 && this.state.ok
    this.state = { ok: problems.length === 0 && this.state.ok, checkedAt: nowIso(), provenSize: problems.length ? this.state.provenSize : proven, problems: distinct([...this.state.problems, ...problems]).slice(0, 100), breachId: this.state.breachId }
    if (failedNow) {
      const summary = problems.slice(0, 10).map((p) => `${p.leafIndex !== undefined ? `entry ${p.leafIndex}: ` : p.checkpointSize !== undefined ? `checkpoint ${p.checkpointSize}: ` : ''}${p.problem}`)
      await audit(db, undefined, { action: 'archive.integrity_failed', target: 'archive', detail: { problems: summary } })
      this.state.breachId = await recordBreach(db, { title: 'Archiv-Integritätsprüfung fehlgeschlagen', source: 'archive-verifier', nature: `Die laufende Prüfung des Archivs hat Abweichungen gefunden:\n${summary.join('\n')}` })
    }
    return this.state
  }
}

/** The same finding from a later check is not listed twice. */
const distinct = (problems: VerifyProblem[]) => [...new Map(problems.map((p) => [JSON.stringify(p), p])).values()]
