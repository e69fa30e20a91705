/**
 * Counts events per key in a sliding window, in memory (per instance): with several instances
 * behind a balancer each keeps its own window (the limits then multiply by the instance count).
 */
export class SlidingWindow {
  private readonly hits = new Map<string, number[]>()

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until one more event is within the limit; 0 when it is now. */
  wait(key: string): number {
    const list = this.recent(key)
    if (list.length < this.limit) return 0
    return Math.ceil((list[list.length - this.limit]! + this.windowMs - this.now()) / 1000)
  }

  record(key: string): void {
    const list = this.recent(key)
    list.push(this.now())
    this.hits.set(key, list)
    if (this.hits.size > 10_000) this.prune()
  }

  clear(key: string): void {
    this.hits.delete(key)
  }

  /** Records one event if within the limit and answers 0; otherwise records nothing and answers the wait. */
  take(key: string): number {
    const wait = this.wait(key)
    if (wait === 0) this.record(key)
    return wait
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs
    return (this.hits.get(key) ?? []).filter((t) => t > cutoff)
  }

  private prune() {
    for (const key of [...this.hits.keys()]) if (this.recent(key).length === 0) this.hits.delete(key)
  }
}
