import type { FastifyBaseLogger } from 'fastify'
import type { DatabaseHandle } from '../../db/database.js'
import type { JobRow } from '../../db/schema.js'
import { WorkerLoop } from './worker-loop.js'
import { backoffMs, claimJobs, completeJob, failJob, findExpiredLeases, retryJobLater } from './jobs.repo.js'

export type JobHandler = {
  kind: string
  /** Throws to retry with backoff; after `maxAttempts` the job fails and `onGiveUp` runs. */
  run(payload: Record<string, unknown>, job: JobRow): Promise<void>
  onGiveUp?(payload: Record<string, unknown>, error: string): Promise<void>
  maxAttempts?: number
  leaseMs?: number
}

/**
 * Runs idempotent background jobs (media download and the like) with retries. Jobs that must not
 * run twice (sending) have their own worker; these may safely run again after a crash, so an
 * expired lease simply puts the job back in the queue.
 */
export class JobRunner extends WorkerLoop {
  constructor(
    private readonly database: DatabaseHandle,
    private readonly handlers: JobHandler[],
    private readonly log: FastifyBaseLogger,
    private readonly pollMs = 500,
  ) {
    super()
  }

  protected async run(): Promise<void> {
    while (this.running) {
      let worked = 0
      for (const h of this.handlers) {
        try {
          worked += await this.runSome(h)
        } catch (error) {
          this.log.error({ err: error, kind: h.kind }, 'job loop failed')
        }
      }
      if (worked === 0) await this.idle(this.pollMs)
    }
  }

  private async runSome(h: JobHandler): Promise<number> {
    const { db } = this.database
    for (const expired of await findExpiredLeases(db, h.kind)) await retryJobLater(db, expired.id, 0, 'lease expired')
    const jobs = await claimJobs(db, this.database.dialect, h.kind, 4, h.leaseMs ?? 120_000)
    await Promise.all(
      jobs.map(async (job) => {
        const payload = JSON.parse(job.payload) as Record<string, unknown>
        try {
          await h.run(payload, job)
          await completeJob(db, job.id)
        } catch (error) {
          const msg = error instanceof Error ? error.message : String(error)
          if (job.attempts >= (h.maxAttempts ?? 10)) {
            await failJob(db, job.id, msg)
            await h.onGiveUp?.(payload, msg)
          } else {
            await retryJobLater(db, job.id, backoffMs(job.attempts), msg)
          }
        }
      }),
    )
    return jobs.length
  }
}
