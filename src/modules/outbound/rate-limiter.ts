/**
 * Send-rate limits per business number, enforced before each Graph call.
 * - Throughput: at most `perSecond` sends in ANY 1,000 ms window (a sliding log of send times, not
 *   a token bucket, which would allow twice the rate across a window boundary).
 * - Pair rate: per recipient a token bucket (`pairBurst` at once, then one per `pairIntervalMs`),
 *   matching Meta's "about one message per 6 s, short bursts tolerated".
 */
export class SendRateLimiter {
  private readonly sent: number[] = [] // ring of the last `perSecond` send times
  private head = 0
  private readonly pairs = new Map<string, { tokens: number; at: number }>()

  constructor(
    readonly perSecond: number,
    private readonly pair = { burst: 4, intervalMs: 6000 },
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Milliseconds until one more send fits the throughput window (0 = now). */
  throughputWait(): number {
    if (this.sent.length < this.perSecond) return 0
    const oldest = this.sent[this.head]!
    return Math.max(0, oldest + 1000 - this.now())
  }

  /** How many sends fit the throughput window right now. */
  available(): number {
    if (this.sent.length < this.perSecond) return this.perSecond - this.sent.length
    const cutoff = this.now() - 1000
    let n = 0
    for (let i = 0; i < this.perSecond; i++) if (this.sent[(this.head + i) % this.perSecond]! <= cutoff) n++
    else break
    return n
  }

  /** Milliseconds until this recipient may get another message (0 = now). */
  pairWait(recipient: string): number {
    const b = this.refill(recipient)
    return b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) * this.pair.intervalMs)
  }

  /** Records a send; call only when both waits are 0. */
  take(recipient: string): void {
    const t = this.now()
    if (this.sent.length < this.perSecond) this.sent.push(t)
    else {
      this.sent[this.head] = t
      this.head = (this.head + 1) % this.perSecond
    }
    const b = this.refill(recipient)
    b.tokens -= 1
  }

  /** Waits for a throughput slot, then records the send. */
  async acquire(recipient: string): Promise<void> {
    for (;;) {
      const wait = this.throughputWait()
      if (wait === 0) break
      await new Promise((r) => setTimeout(r, Math.max(1, Math.ceil(wait))))
    }
    this.take(recipient)
  }

  private refill(recipient: string) {
    const t = this.now()
    const b = this.pairs.get(recipient) ?? { tokens: this.pair.burst, at: t }
    b.tokens = Math.min(this.pair.burst, b.tokens + (t - b.at) / this.pair.intervalMs)
    b.at = t
    this.pairs.set(recipient, b)
    if (this.pairs.size > 50_000) this.prune(t)
    return b
  }

  private prune(t: number) {
    const full = this.pair.burst * this.pair.intervalMs
    for (const [k, b] of this.pairs) if (t - b.at > full) this.pairs.delete(k)
  }
}
