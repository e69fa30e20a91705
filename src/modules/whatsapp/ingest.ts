import type { FastifyBaseLogger } from 'fastify'
import type { DatabaseHandle } from '../../db/database.js'
import { appendToJournal, findJournalEntryByHash } from '../journal/journal.repo.js'
import { projectWebhook } from './inbound-projector.js'
import { parseWebhook, type WebhookEvent } from './webhook-events.js'

type Pending = { raw: Buffer; events: WebhookEvent[]; resolve: (r: IngestResult) => void; reject: (e: unknown) => void }
export type IngestResult = { journalSeq: number; duplicate: boolean; unrouted: string[] }
export type CommittedListener = (results: { events: WebhookEvent[]; result: IngestResult }[]) => void

/**
 * Commits webhooks durably: journal entry plus projections in one transaction, and only then
 * resolves, so the route answers 200 only for what is on disk. Concurrent webhooks are grouped
 * into one transaction (group commit): one fsync serves the whole group, which is what makes
 * ingest faster than a commit per request. If a group fails, its items are retried one by one, so
 * one bad webhook cannot fail its neighbours.
 */
export class WebhookIngestor {
  private queue: Pending[] = []
  private running = false
  private readonly listeners: CommittedListener[] = []

  constructor(
    private readonly database: DatabaseHandle,
    private readonly isOurNumber: (phoneNumberId: string | undefined) => boolean,
    private readonly log: FastifyBaseLogger,
    private readonly maxBatch = 200,
  ) {}

  /** Parses (throws MalformedWebhookError on a wrong shape) and resolves once committed. */
  submit(raw: Buffer, body: unknown): Promise<IngestResult> {
    const events = parseWebhook(body)
    return new Promise((resolve, reject) => {
      this.queue.push({ raw, events, resolve, reject })
      if (!this.running) void this.drain()
    })
  }

  onCommitted(listener: CommittedListener): void {
    this.listeners.push(listener)
  }

  private async drain(): Promise<void> {
    this.running = true
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch)
        try {
          const results = await this.commit(batch)
          batch.forEach((p, i) => p.resolve(results[i]!))
          this.notify(batch, results)
        } catch (error) {
          if (batch.length === 1) {
            batch[0]!.reject(error)
            continue
          }
          this.log.warn({ err: error, size: batch.length }, 'group commit failed; retrying webhooks one by one')
          for (const p of batch) {
            try {
              const [result] = await this.commit([p])
              p.resolve(result!)
              this.notify([p], [result!])
            } catch (e) {
              p.reject(e)
            }
          }
        }
      }
    } finally {
      this.running = false
    }
  }

  private commit(batch: Pending[]): Promise<IngestResult[]> {
    return this.database.db.transaction().execute(async (tx) => {
      const results: IngestResult[] = []
      for (const p of batch) {
        // Meta redelivers byte-identical bodies; the first copy is the record.
        const earlier = await findJournalEntryByHash(tx, 'whatsapp.webhook', p.raw)
        if (earlier !== undefined) {
          results.push({ journalSeq: earlier, duplicate: true, unrouted: [] })
          continue
        }
        const seq = await appendToJournal(tx, 'whatsapp.webhook', p.raw)
        const { unrouted } = await projectWebhook(tx, seq, p.events, this.isOurNumber)
        results.push({ journalSeq: seq, duplicate: false, unrouted })
      }
      return results
    })
  }

  private notify(batch: Pending[], results: IngestResult[]): void {
    const items = batch.map((p, i) => ({ events: p.events, result: results[i]! }))
    for (const l of this.listeners) {
      try {
        l(items)
      } catch (error) {
        this.log.error({ err: error }, 'webhook listener failed')
      }
    }
  }
}
