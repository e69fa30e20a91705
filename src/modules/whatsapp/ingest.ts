import type { FastifyBaseLogger } from 'fastify'
import type { DatabaseHandle, Executor } from '../../db/database.js'
import { appendEntries } from '../journal/journal.repo.js'
import { identitiesIn, type JournalSealer } from '../archive/journal-sealer.js'
import { projectAccountEvents } from './account-events.js'
import type { MessageVault } from '../inbox/message-vault.js'
import { type NewInboundMessage, projectWebhooks } from './inbound-projector.js'
import { type ConsentSignal, customerKeyOf, isConsentSignal, parseWebhook, type WebhookEvent } from './webhook-events.js'

function laneOf(key: string, lanes: number): number {
  let h = 0
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0
  return Math.abs(h) % lanes
}

type Pending = { raw: Buffer; events: WebhookEvent[]; identities: string[]; resolve: (r: IngestResult) => void; reject: (e: unknown) => void }
export type IngestResult = { journalSeq: number; duplicate: boolean; unrouted: string[] }
/** What a committed group changed, for real-time updates. */
export type CommittedGroup = { results: IngestResult[]; conversationIds: Set<string>; mediaQueued: number; /** Meta reported on templates (status, quality): cached lists are stale. */ templatesChanged: boolean }
export type CommittedListener = (group: CommittedGroup) => void

/**
 * Commits webhooks durably: journal entry plus projections in one transaction, and only then
 * resolves, so the route answers 200 only for what is on disk. Concurrent webhooks are grouped
 * into one transaction (group commit): one fsync serves the whole group, which is what makes
 * ingest faster than a commit per request. If a group fails, its items are retried one by one, so
 * one bad webhook cannot fail its neighbours.
 */
export class WebhookIngestor {
  /**
   * One queue and committer per lane. SQLite has one writer, so one lane. PostgreSQL commits
   * several groups at once; a customer's webhooks always take the same lane, so concurrent
   * groups never touch the same contact or conversation (no lock waits, no deadlocks).
   */
  private readonly lanes: { queue: Pending[]; running: boolean }[]
  private readonly listeners: CommittedListener[] = []
  /** Receipt-to-commit times of the last webhooks (GOBD-4: recorded promptly). */
  private readonly latencies = new Float64Array(1024)
  private latencyCount = 0

  constructor(
    private readonly database: DatabaseHandle,
    private readonly isOurNumber: (phoneNumberId: string | undefined) => boolean,
    private readonly log: FastifyBaseLogger,
    /** Runs in the group's transaction after projection (consent keywords and Meta's opt-out signals commit with their webhook). */
    private readonly afterProjection: ((tx: Executor, added: NewInboundMessage[], signals: ConsentSignal[]) => Promise<void>) | undefined = undefined,
    private readonly maxBatch = 200,
    /** Seals each body with the data keys of the customers it names (crypto-shredding). */
    private readonly sealer: JournalSealer | undefined,
    /** Seals and indexes the messages' contents (encryption at rest). */
    private readonly vault: MessageVault,
  ) {
    const lanes = database.dialect === 'postgres' ? 2 : 1
    this.lanes = Array.from({ length: lanes }, () => ({ queue: [], running: false }))
  }

  /** Parses (throws MalformedWebhookError on a wrong shape) and resolves once committed. */
  submit(raw: Buffer, body: unknown): Promise<IngestResult> {
    const events = parseWebhook(body)
    const lane = this.lanes[laneOf(customerKeyOf(events), this.lanes.length)]!
    const received = performance.now()
    return new Promise((resolve, reject) => {
      const committed = (r: IngestResult) => {
        this.latencies[this.latencyCount++ % this.latencies.length] = performance.now() - received
        resolve(r)
      }
      lane.queue.push({ raw, events, identities: this.sealer ? identitiesIn(body) : [], resolve: committed, reject })
      if (!lane.running) {
        lane.running = true
        // Start after the current I/O phase: every request that arrived with this one joins the
        // group. (SQLite runs synchronously; starting at once would commit them one by one.)
        setImmediate(() => void this.drain(lane))
      }
    })
  }

  /** The 99th percentile of receipt-to-commit time over the last webhooks, in ms (null before any). */
  commitLatencyP99(): number | null {
    const n = Math.min(this.latencyCount, this.latencies.length)
    if (n === 0) return null
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b)
    return sorted[Math.min(n - 1, Math.floor(n * 0.99))]!
  }

  onCommitted(listener: CommittedListener): void {
    this.listeners.push(listener)
  }

  private async drain(lane: { queue: Pending[]; running: boolean }): Promise<void> {
    try {
      while (lane.queue.length > 0) {
        const batch = lane.queue.splice(0, this.maxBatch)
        try {
          const group = await this.commit(batch)
          batch.forEach((p, i) => p.resolve(group.results[i]!))
          this.notify(group)
        } catch (error) {
          if (batch.length === 1) {
            batch[0]!.reject(error)
            continue
          }
          this.log.warn({ err: error, size: batch.length }, 'group commit failed; retrying webhooks one by one')
          for (const p of batch) {
            try {
              const group = await this.commit([p])
              p.resolve(group.results[0]!)
              this.notify(group)
            } catch (e) {
              p.reject(e)
            }
          }
        }
        // Let the requests that arrived during this commit be read, so they form the next group.
        await new Promise((r) => setImmediate(r))
      }
    } finally {
      lane.running = false
    }
  }

  private commit(batch: Pending[]): Promise<CommittedGroup> {
    return this.database.db.transaction().execute(async (tx) => {
      const appended = await appendEntries(tx, 'whatsapp.webhook', batch.map((p) => p.raw), this.sealer ? { sealer: this.sealer, identities: batch.map((p) => p.identities) } : undefined)
      const fresh = batch.flatMap((p, i) => (appended[i]!.duplicate ? [] : [{ journalSeq: appended[i]!.seq, events: p.events }]))
      const { unrouted, conversationIds, mediaQueued, added } = await projectWebhooks(tx, fresh, this.isOurNumber, this.vault)
      const account = await projectAccountEvents(tx, fresh)
      const signals = fresh.flatMap((f) => f.events.filter(isConsentSignal).map((event) => ({ journalSeq: f.journalSeq, event })))
      if (this.afterProjection && (added.length > 0 || signals.length > 0)) await this.afterProjection(tx, added, signals)
      return {
        results: appended.map((a) => ({ journalSeq: a.seq, duplicate: a.duplicate, unrouted: a.duplicate ? [] : (unrouted.get(a.seq) ?? []) })),
        conversationIds,
        mediaQueued,
        templatesChanged: account.templates,
      }
    })
  }

  private notify(group: CommittedGroup): void {
    for (const l of this.listeners) {
      try {
        l(group)
      } catch (error) {
        this.log.error({ err: error }, 'webhook listener failed')
      }
    }
  }
}
