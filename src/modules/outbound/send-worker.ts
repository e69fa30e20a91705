import type { FastifyBaseLogger } from 'fastify'
import { type ConsentService, refusalError } from '../consent/consent.service.js'
import type { DatabaseHandle } from '../../db/database.js'
import type { JobRow } from '../../db/schema.js'
import { backoffMs, claimJobs, completeJob, failJob, findExpiredLeases, retryJobLater } from '../../platform/jobs/jobs.repo.js'
import { nowIso } from '../../platform/time.js'
import { classifyGraphError, REASON_TEXT } from '../whatsapp/graph-errors.js'
import { GraphApiError, type GraphClient, GraphTransportError } from '../whatsapp/graph-client.js'
import { WorkerLoop } from '../../platform/jobs/worker-loop.js'
import { SendRateLimiter } from './rate-limiter.js'
import { SEND_JOB } from './send.service.js'
import { loadSendables, type Sendable, toGraphBody } from './sendable.js'
import { SentRecorder } from './sent-recorder.js'
import type { JournalSealer } from '../archive/journal-sealer.js'
import type { MessageVault } from '../inbox/message-vault.js'

const messageIdOf = (job: JobRow): string => (JSON.parse(job.payload) as { messageId: string }).messageId
import type { MediaUploader } from './media-uploader.js'

const MAX_ATTEMPTS = 8

export type SendWorkerOptions = {
  database: DatabaseHandle
  graph: GraphClient
  media: MediaUploader
  messagesPerSecond: number
  log: FastifyBaseLogger
  /** How long a claimed send may take before it counts as abandoned (default 60 s). */
  leaseMs?: number
  /** Called after a message changed state (for real-time updates). */
  onChange?: (messageId: string, conversationId: string) => void
  /** Checks consent for sends that serve a purpose (marketing) right before the Graph call. */
  consent?: ConsentService
  /** Seals the journaled Graph exchange with the customer's data keys (crypto-shredding). */
  sealer?: JournalSealer
  /** Opens the stored contents to send. */
  vault: MessageVault
}

/**
 * Sends queued messages. Crash safety rests on one rule: a job is claimed (state `running`, with a
 * lease) immediately before its Graph call, and a running job whose lease ran out is never retried
 * but marks its message `uncertain`. So a message is sent at most once, and none is lost: it is
 * sent, failed with a reason, or offered to the agent for a deliberate resend.
 */
export class SendWorker extends WorkerLoop {
  private readonly limiter: SendRateLimiter
  private readonly inFlight = new Set<Promise<void>>()

  private readonly leaseMs: number
  private readonly recorder: SentRecorder

  constructor(private readonly o: SendWorkerOptions) {
    super()
    this.limiter = new SendRateLimiter(o.messagesPerSecond)
    this.leaseMs = o.leaseMs ?? 60_000
    this.recorder = new SentRecorder(o.database, o.sealer)
  }

  /** After stop: wait for the sends under way. */
  protected override async drain(): Promise<void> {
    await Promise.all(this.inFlight)
  }

  protected async run(): Promise<void> {
    await this.recoverExpiredLeases()
    let lastRecovery = Date.now()
    while (this.running) {
      try {
        if (Date.now() - lastRecovery > this.leaseMs / 2) {
          await this.recoverExpiredLeases()
          lastRecovery = Date.now()
        }
        const claimed = await this.claimWithinRate()
        if (claimed === 0) await this.idle(250)
      } catch (error) {
        this.o.log.error({ err: error }, 'send worker loop failed')
        await this.idle(1000)
      }
    }
  }

  /**
   * Claims only as many jobs as the rate allows right now, and starts their sends at once: a
   * claimed job waits for nothing but its Graph call, so a crash leaves few sends `uncertain`.
   */
  private async claimWithinRate(): Promise<number> {
    const maxInFlight = Math.max(8, this.o.messagesPerSecond)
    if (this.inFlight.size >= maxInFlight) {
      await Promise.race(this.inFlight)
      return 1
    }
    // What the rate allows within the next 50 ms, less what is already claimed and waiting for its
    // slot: a claimed job waits that long at most, so a crash leaves few sends `uncertain`.
    const room = Math.min(this.limiter.dueWithin(50) - this.limiter.waiting, 100, maxInFlight - this.inFlight.size)
    // Claim in batches of at least 25 ms worth while sends are still waiting: every claim is a
    // durable commit, and a few large ones cost far less than many small ones.
    const worthClaiming = this.limiter.waiting === 0 ? 1 : Math.ceil(this.o.messagesPerSecond / 40)
    if (room < worthClaiming) {
      await new Promise((r) => setTimeout(r, Math.max(5, Math.ceil(this.limiter.throughputWait()))))
      return 1
    }
    const jobs = await claimJobs(this.o.database.db, this.o.database.dialect, SEND_JOB, room, this.leaseMs)
    if (jobs.length === 0) return 0
    const sendables = await loadSendables(this.o.database.db, this.o.vault, jobs.map((j) => messageIdOf(j))).catch(async (error: unknown) => {
      // Nothing of these went out yet: hand them back at once, rather than leave them running until
      // their lease ends, after which they would count as uncertain and wait for an agent.
      for (const job of jobs) await retryJobLater(this.o.database.db, job.id, 1000, `could not load the message: ${String(error)}`)
      throw error
    })
    // Jobs of one conversation are claimed one at a time (group key), so sends keep their order.
    for (const job of jobs) {
      const p = this.sendOne(job, sendables.get(messageIdOf(job))).finally(() => this.inFlight.delete(p))
      this.inFlight.add(p)
    }
    return jobs.length
  }

  private async sendOne(job: JobRow, m: Sendable | undefined): Promise<void> {
    const { db } = this.o.database
    const messageId = messageIdOf(job)
    if (!m || m.status !== 'queued') return completeJob(db, job.id)
    if (m.channelPaused) return retryJobLater(db, job.id, 30_000, `channel paused: ${m.channelPaused}`)
    // Consent (or the existing-customer basis) is checked again at send time: a STOP that arrived after queueing stops the send.
    if (m.purpose && this.o.consent) {
      const checked = await this.o.consent.marketingBasis(db, { contactId: m.contactId, waId: m.waId, purpose: m.purpose })
      const refused = 'refused' in checked ? checked.refused : undefined
      if (refused) {
        await db.transaction().execute(async (tx) => {
          await tx
            .updateTable('messages')
            .set({ status: 'failed', error_code: null, error_title: refused, error_detail: refusalError(refused, m.purpose!).message, updated_at: nowIso() })
            .where('id', '=', messageId)
            .execute()
          await failJob(tx, job.id, `consent: ${refused}`)
        })
        this.o.onChange?.(messageId, m.conversationId)
        return
      }
    }
    const recipient = m.waId ?? m.userId ?? ''
    const pairWait = this.limiter.pairWait(recipient)
    if (pairWait > 0) return retryJobLater(db, job.id, pairWait, 'pair rate limit')
    await this.limiter.acquire(recipient)
    try {
      const body = await toGraphBody(m, this.o.media)
      const res = await this.o.graph.sendMessage(m.channelId, body)
      const wamid = res.messages[0]?.id
      if (!wamid) throw new GraphApiError(200, undefined, undefined, 'Graph answered without a message id')
      await this.recorder.record({ messageId, jobId: job.id, wamid, request: body, response: res })
    } catch (error) {
      await this.handleFailure(job, messageId, m.channelId, error, m)
    }
    this.o.onChange?.(messageId, m.conversationId)
  }

  private async handleFailure(job: JobRow, messageId: string, channelId: string, error: unknown, m?: Sendable): Promise<void> {
    const { db } = this.o.database
    if (error instanceof GraphTransportError) {
      // Refused before a byte went out: safe to try again. Anything else may have reached Meta.
      if (error.refused && job.attempts < MAX_ATTEMPTS) return retryJobLater(db, job.id, backoffMs(job.attempts), error.message)
      return this.markUncertain(job.id, messageId, error.message)
    }
    if (!(error instanceof GraphApiError)) {
      this.o.log.error({ err: error, messageId }, 'send failed unexpectedly')
      return this.markUncertain(job.id, messageId, String(error))
    }
    const { action, reason } = classifyGraphError(error.code, error.httpStatus)
    if (action === 'retry' && job.attempts < MAX_ATTEMPTS) return retryJobLater(db, job.id, backoffMs(job.attempts), error.message)
    if (action === 'pause') {
      this.o.log.error({ code: error.code, channelId }, 'channel paused: Graph refuses our credentials or account')
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('channels').set({ paused_reason: reason, paused_at: nowIso(), updated_at: nowIso() }).where('id', '=', channelId).execute()
        await retryJobLater(tx, job.id, 30_000, error.message)
      })
      return
    }
    await db.transaction().execute(async (tx) => {
      await tx
        .updateTable('messages')
        .set({ status: 'failed', error_code: error.code ?? null, error_title: reason, error_detail: REASON_TEXT[reason] ?? error.details ?? error.message, updated_at: nowIso() })
        .where('id', '=', messageId)
        .execute()
      await failJob(tx, job.id, error.message)
      // Meta says the person stopped marketing from us: that is an objection, recorded with the send.
      if (reason === 'marketing-opt-out' && m && this.o.consent) {
        await this.o.consent.objectAtMeta(tx, { waId: m.waId ?? undefined, userId: m.userId ?? undefined, at: nowIso(), ref: `${messageId}:131050`, signal: 'error 131050', evidence: { messageId, error: error.message } })
      }
    })
  }

  private async markUncertain(jobId: string, messageId: string, why: string): Promise<void> {
    await this.o.database.db.transaction().execute(async (tx) => {
      await tx.updateTable('messages').set({ status: 'uncertain', updated_at: nowIso() }).where('id', '=', messageId).where('status', '=', 'queued').execute()
      await failJob(tx, jobId, `outcome unknown: ${why}`)
    })
  }

  /** Jobs left running by a dead worker: their outcome is unknown, so never resend them blindly. */
  private async recoverExpiredLeases(): Promise<void> {
    for (const job of await findExpiredLeases(this.o.database.db, SEND_JOB)) {
      await this.markUncertain(job.id, messageIdOf(job), 'worker stopped during the send')
    }
  }
}
