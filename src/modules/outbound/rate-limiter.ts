/**
 * Send-rate limits per business number, enforced before each Graph call.
 * - Throughput: at most `perSecond` sends in ANY window of WINDOW_MS (a sliding log of send times,
 *   not a token bucket, which would allow twice the rate across a window boundary). The window is
 *   a little longer than a second because requests reach Meta with varying delay: two sends 1,000 ms
 *   apart here can arrive 990 ms apart there.
 * - Sends are also paced (a token bucket holding 20 ms worth of sends), so that no burst depends
 *   on every request of it taking the same time to reach Meta, while a late timer can catch up.
 * - Pair rate: per recipient a token bucket (`pairBurst` at once, then one per `pairIntervalMs`),
 *   matching Meta's "about one message per 6 s, short bursts tolerated".
 */
/** One second plus a margin (40 ms) for the jitter of request delays between us and Meta. */
export const WINDOW_MS = 1040

export class SendRateLimiter {
  private readonly sent: number[] = [] // ring of the last `perSecond` send times
  private head = 0
  private readonly pairs = new Map<string, { tokens: number; at: number }>()

  constructor(
    readonly perSecond: number,
    private readonly pair = { burst: 4, intervalMs: 6000 },
    private readonly now: () => number = () => performance.now(),
  ) {}

  private tokens = 1
  private refilledAt = Number.NEGATIVE_INFINITY

  private get interval(): number {
    return WINDOW_MS / this.perSecond
  }

  private refillPacing(now: number): void {
    const capacity = Math.max(1, Math.ceil(this.perSecond / 50))
    this.tokens = this.refilledAt === Number.NEGATIVE_INFINITY ? capacity : Math.min(capacity, this.tokens + (now - this.refilledAt) / this.interval)
    this.refilledAt = now
  }

  /** Milliseconds until one more send fits the throughput window and the pacing (0 = now). */
  throughputWait(): number {
    const now = this.now()
    this.refillPacing(now)
    const paced = this.tokens >= 1 ? 0 : (1 - this.tokens) * this.interval
    if (this.sent.length < this.perSecond) return paced
    const oldest = this.sent[this.head]!
    return Math.max(0, oldest + WINDOW_MS - now, paced)
  }

  /** How many sends are due within the next `horizonMs` (what a worker may claim now). */
  dueWithin(horizonMs: number): number {
    const wait = this.throughputWait()
    if (wait > horizonMs) return 0
    return Math.min(this.available(), Math.floor(this.tokens + (horizonMs - wait) / this.interval) || 1)
  }

  /** How many sends fit the throughput window right now. */
  available(): number {
    if (this.sent.length < this.perSecond) return this.perSecond - this.sent.length
    const cutoff = this.now() - WINDOW_MS
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
    this.refillPacing(t)
    this.tokens -= 1
    if (this.sent.length < this.perSecond) this.sent.push(t)
    else {
      this.sent[this.head] = t
      this.head = (this.head + 1) % this.perSecond
    }
    const b = this.refill(recipient)
    b.tokens -= 1
  }

  private readonly queue: { recipient: string; resolve: () => void }[] = []
  private timer: NodeJS.Timeout | undefined

  /** Sends waiting for their throughput slot (claimed, not yet due). */
  get waiting(): number {
    return this.queue.length
  }

  /**
   * Waits for a throughput slot, then records the send. Waiters are served first come, first
   * served by one timer, so a thousand waiting sends cost one wake-up per slot, not a thousand.
   */
  acquire(recipient: string): Promise<void> {
    if (this.queue.length === 0 && this.throughputWait() === 0) {
      this.take(recipient)
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      this.queue.push({ recipient, resolve })
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      while (this.queue.length > 0 && this.throughputWait() === 0) {
        const next = this.queue.shift()!
        this.take(next.recipient)
        next.resolve()
      }
      this.schedule()
    }, Math.max(1, Math.ceil(this.throughputWait())))
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
