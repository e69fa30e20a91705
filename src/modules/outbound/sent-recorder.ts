import { type DatabaseHandle, relaxedTransaction } from '../../db/database.js'
import type { MessageStatus } from '../../db/schema/core.js'
import { nowIso } from '../../platform/time.js'
import { appendEntries } from '../journal/journal.repo.js'
import { identitiesIn, type JournalSealer } from '../archive/journal-sealer.js'
import { applyStoredStatuses } from '../inbox/message-status.js'

/**
 * Waits before each new try of a group's record. Meta has accepted these sends: giving up on the
 * record would leave them `uncertain` and invite an agent to send them again, so a transient
 * failure (a dropped connection, a busy database) is tried again first. A try is safe to repeat:
 * the journal skips an entry it holds already, and only a queued or uncertain message moves.
 */
const RETRY_DELAYS_MS = [50, 250, 1000]

export type SentOutcome = { messageId: string; jobId: string; wamid: string; request: unknown; response: unknown }

/**
 * Records accepted sends (wamid, `sent`, journal entry, job done) in groups: the sends that finish
 * together share one transaction and one fsync, which is what lets the sender keep up with
 * 1,000 messages per second. A crash before the group commits leaves those jobs running: they
 * become `uncertain` and are linked back by their status webhooks (biz_opaque_callback_data).
 */
export class SentRecorder {
  private pending: { outcome: SentOutcome; resolve: () => void; reject: (e: unknown) => void }[] = []
  private scheduled = false

  constructor(
    private readonly database: DatabaseHandle,
    private readonly sealer: JournalSealer | undefined = undefined,
  ) {}

  record(outcome: SentOutcome): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ outcome, resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => void this.flush())
      }
    })
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending.splice(0, 500)
      try {
        await this.recordWithRetries(group.map((g) => g.outcome))
        for (const g of group) g.resolve()
      } catch (error) {
        for (const g of group) g.reject(error)
      }
      await new Promise((r) => setImmediate(r))
    }
    this.scheduled = false
  }

  private async recordWithRetries(outcomes: SentOutcome[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.recordGroup(outcomes)
      } catch (error) {
        const delay = RETRY_DELAYS_MS[attempt]
        if (delay === undefined) throw error
        await new Promise((r) => setTimeout(r, delay))
      }
    }
  }

  private async recordGroup(outcomes: SentOutcome[]): Promise<void> {
    // Relaxed durability: a record lost in a power cut leaves its job running, which the recovery
    // turns into `uncertain`, linked back by the status webhook; the next claim's commit makes it durable.
    await relaxedTransaction(this.database, async (tx) => {
      const exchanges = outcomes.map((o) => ({ messageId: o.messageId, request: o.request, response: o.response }))
      const entries = await appendEntries(
        tx,
        'whatsapp.send_response',
        exchanges.map((e) => Buffer.from(JSON.stringify(e))),
        this.sealer ? { sealer: this.sealer, identities: exchanges.map((e) => identitiesIn(e)) } : undefined,
      )
      const now = nowIso()
      for (const [i, o] of outcomes.entries()) {
        // The journal entry is the message's archive record (its inclusion proof names it).
        // Its status webhooks may have come first (they name the message, see linkUncertainSends)
        // and moved it on: then it keeps that status, but still gets its record.
        await tx
          .updateTable('messages')
          .set((eb) => ({ wamid: o.wamid, status: eb.case().when('status', 'in', ['queued', 'uncertain']).then('sent' as MessageStatus).else(eb.ref('status')).end(), journal_seq: entries[i]!.seq, updated_at: now }))
          .where('id', '=', o.messageId)
          .where((eb) => eb.or([eb('wamid', 'is', null), eb('wamid', '=', o.wamid)]))
          .execute()
      }
      await tx.updateTable('jobs').set({ state: 'done', lease_until: null, updated_at: now }).where('id', 'in', outcomes.map((o) => o.jobId)).execute()
      await applyStoredStatuses(tx, outcomes.map((o) => o.wamid))
    })
  }
}
