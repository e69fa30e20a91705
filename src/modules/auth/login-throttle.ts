import { SlidingWindow } from '../../platform/http/sliding-window.js'

/** Failed logins per account and per client address, each in its own sliding window. */
export class LoginThrottle {
  private readonly perAccount: SlidingWindow
  private readonly perIp: SlidingWindow

  constructor(limits = { perAccount: 5, perIp: 20, windowMs: 15 * 60 * 1000 }, now: () => number = Date.now) {
    this.perAccount = new SlidingWindow(limits.perAccount, limits.windowMs, now)
    this.perIp = new SlidingWindow(limits.perIp, limits.windowMs, now)
  }

  /** Seconds until the next attempt is allowed for this account/IP, or 0 when allowed. */
  retryAfter(email: string, ip: string): number {
    return Math.max(this.perAccount.wait(email), this.perIp.wait(ip))
  }

  recordFailure(email: string, ip: string): void {
    this.perAccount.record(email)
    this.perIp.record(ip)
  }

  recordSuccess(email: string): void {
    this.perAccount.clear(email)
  }
}
