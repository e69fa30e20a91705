import { createHmac, randomBytes } from 'node:crypto'
import type { Db, Executor } from '../../db/database.js'
import { SecretBox } from '../../platform/crypto/secret-box.js'
import { newId } from '../../platform/ids.js'
import type { JobHandler } from '../../platform/jobs/job-runner.js'
import { enqueueJobs } from '../../platform/jobs/jobs.repo.js'
import { nowIso } from '../../platform/time.js'

export type ContactEvent = { event: 'contact.erased' | 'contact.restricted' | 'contact.rectified'; contact: { id: string; waId: string | null }; occurredAt: string; detail?: Record<string, unknown> }

export const DELIVER_KIND = 'integration.deliver'
const SECRET = 'integration.secret'
const PAYLOAD = 'integration.event'

/** `sha256=` + HMAC-SHA256 of the raw body with the integration's secret (as Meta signs its webhooks). */
export const signatureOf = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`

/**
 * GDPR-19: the systems Postfach passes personal data to (a CRM) are told when a person's data is
 * erased, restricted or rectified. Each event becomes one durable job per integration, enqueued in
 * the transaction that made the change, so it is sent even after a crash; the payload names the
 * person and is sealed at rest. Keys are derived from the installation's root secret, so they
 * survive a master-key rotation.
 */
export class Integrations {
  private readonly box: SecretBox

  constructor(secretBox: SecretBox) {
    this.box = new SecretBox(secretBox.deriveKey('postfach:integrations:v1'))
  }

  async add(db: Executor, i: { name: string; url: string; by: string | null }): Promise<{ id: string; secret: string }> {
    const secret = randomBytes(24).toString('base64url')
    const id = newId()
    await db.insertInto('integrations').values({ id, name: i.name, url: i.url, secret: this.box.seal(secret, SECRET), created_by: i.by, created_at: nowIso(), removed_at: null }).execute()
    return { id, secret }
  }

  /** Enqueues the event for every integration, in the caller's transaction. */
  async notify(tx: Executor, e: ContactEvent): Promise<number> {
    const targets = await tx.selectFrom('integrations').select('id').where('removed_at', 'is', null).execute()
    if (targets.length) await enqueueJobs(tx, targets.map((t) => ({ kind: DELIVER_KIND, payload: { integrationId: t.id, sealed: this.box.seal(JSON.stringify(e), PAYLOAD) } })))
    return targets.length
  }

  /** Delivers one event: signed POST, retried with backoff until the integration answers 2xx. */
  deliveryJob(db: Db, timeoutMs = 10_000): JobHandler {
    return {
      kind: DELIVER_KIND,
      maxAttempts: 12,
      run: async (payload) => {
        const target = await db.selectFrom('integrations').selectAll().where('id', '=', String(payload.integrationId)).executeTakeFirst()
        if (!target || target.removed_at) return // removed since: nobody to tell
        const body = this.box.open(String(payload.sealed), PAYLOAD)
        const event = (JSON.parse(body) as ContactEvent).event
        const res = await fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-postfach-event': event, 'x-postfach-signature': signatureOf(this.box.open(target.secret, SECRET), body) },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        })
        if (!res.ok) throw new Error(`${target.name} answered ${res.status}`)
      },
    }
  }
}
