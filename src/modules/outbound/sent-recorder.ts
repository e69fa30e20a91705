import { type DatabaseHandle, relaxedTransaction } from '../../db/database.js'
import { nowIso } from '../../platform/time.js'
import { appendEntries } from '../journal/journal.repo.js'
import { identitiesIn, type JournalSealer } from '../archive/journal-sealer.js'
import { applyStoredStatuses } from '../inbox/message-status.js'

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
        // Relaxed durability: a record lost in a power cut leaves its job running, which the recovery
        // turns into `uncertain`, linked back by the status webhook; the next claim's commit makes it durable.
        await relaxedTransaction(this.database, async (tx) => {
          const outcomes = group.map((g) => g.outcome)
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
            await tx.updateTable('messages').set({ wamid: o.wamid, status: 'sent', journal_seq: entries[i]!.seq, updated_at: now }).where('id', '=', o.messageId).where('status', 'in', ['queued', 'uncertain']).execute()
          }
          await tx.updateTable('jobs').set({ state: 'done', lease_until: null, updated_at: now }).where('id', 'in', outcomes.map((o) => o.jobId)).execute()
          await applyStoredStatuses(tx, outcomes.map((o) => o.wamid))
        })
        for (const g of group) g.resolve()
      } catch (error) {
        for (const g of group) g.reject(error)
      }
      await new Promise((r) => setImmediate(r))
    }
    this.scheduled = false
  }
}
