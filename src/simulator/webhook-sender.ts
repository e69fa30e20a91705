import { signBody } from '../modules/whatsapp/signature.js'

export type DeliveryOptions = {
  /** Send a second copy of some webhooks, as Meta sometimes does. 0..1 */
  duplicateRate: number
  /** Extra random delay per webhook, which shuffles the order of close events. */
  jitterMs: number
  /** Retry schedule on non-2xx or no answer (Meta's "up to 7 days", compressed). */
  retryDelaysMs: number[]
}

/**
 * Delivers webhooks like Meta: compact JSON with non-ASCII escaped as \uXXXX (so a receiver that
 * re-serialises before checking the signature fails, as it would with Meta), signed over the exact
 * bytes, retried with backoff until a 2xx.
 */
export class WebhookSender {
  private readonly pending = new Set<Promise<void>>()
  delivered = 0

  constructor(
    private readonly appSecret: string,
    private readonly url: () => string,
    readonly options: DeliveryOptions,
  ) {}

  send(payload: unknown, delayMs = 0): void {
    const body = escapeNonAscii(JSON.stringify(payload))
    const copies = Math.random() < this.options.duplicateRate ? 2 : 1
    for (let i = 0; i < copies; i++) {
      const wait = delayMs + Math.random() * this.options.jitterMs
      const p = this.deliver(body, wait).finally(() => this.pending.delete(p))
      this.pending.add(p)
    }
  }

  /** Resolves when every webhook sent so far has been delivered or given up. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending])
  }

  private async deliver(body: string, waitMs: number): Promise<void> {
    await sleep(waitMs)
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(this.url(), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(this.appSecret, body) },
          body,
          signal: AbortSignal.timeout(10_000),
        })
        await res.arrayBuffer()
        if (res.ok) {
          this.delivered++
          return
        }
      } catch {
        /* no answer: retry like Meta */
      }
      const delay = this.options.retryDelaysMs[attempt]
      if (delay === undefined) return
      await sleep(delay)
    }
  }
}

export const escapeNonAscii = (json: string): string =>
  json.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
