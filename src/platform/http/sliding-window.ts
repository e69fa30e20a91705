/**
 * Counts events per key in a sliding window, in memory (per instance). `take` records one event
 * and answers 0 when it was within the limit, else the seconds until one would be.
 */
export class SlidingWindow {
  private readonly hits = new Map<string, number[]>()

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): number {
    const cutoff = this.now() - this.windowMs
    const list = (this.hits.get(key) ?? []).filter((t) => t > cutoff)
    if (list.length >= this.limit) {
      this.hits.set(key, list)
      return Math.ceil((list[list.length - this.limit]! + this.windowMs - this.now()) / 1000)
    }
    list.push(this.now())
    this.hits.set(key, list)
    if (this.hits.size > 10_000) this.prune(cutoff)
    return 0
  }

  private prune(cutoff: number) {
    for (const [k, v] of this.hits) if (v.every((t) => t <= cutoff)) this.hits.delete(k)
  }
}
