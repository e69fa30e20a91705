/**
 * Sliding-window counter of failed logins, per account and per client address. Kept in memory:
 * it protects one instance; with several instances behind a balancer each keeps its own window
 * (the limits then multiply by the instance count).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>()

  constructor(
    private readonly limits = { perAccount: 5, perIp: 20, windowMs: 15 * 60 * 1000 },
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the next attempt is allowed for this account/IP, or 0 when allowed. */
  retryAfter(email: string, ip: string): number {
    return Math.max(this.wait(`a:${email}`, this.limits.perAccount), this.wait(`i:${ip}`, this.limits.perIp))
  }

  recordFailure(email: string, ip: string): void {
    for (const key of [`a:${email}`, `i:${ip}`]) {
      const list = this.recent(key)
      list.push(this.now())
      this.failures.set(key, list)
    }
  }

  recordSuccess(email: string): void {
    this.failures.delete(`a:${email}`)
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.limits.windowMs
    return (this.failures.get(key) ?? []).filter((t) => t > cutoff)
  }

  private wait(key: string, limit: number): number {
    const list = this.recent(key)
    if (list.length < limit) return 0
    return Math.ceil((list[list.length - limit]! + this.limits.windowMs - this.now()) / 1000)
  }
}
