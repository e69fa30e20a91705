/**
 * A background pass that runs every interval and whenever asked. Asked while one is going (a
 * setting saved meanwhile), one more pass follows it, so a change never waits for the next tick;
 * a pass that answers true (more to do) is followed by another. A failed pass is logged by
 * `onError` and the next one tries again. Stopped, it starts no more.
 */
export class PeriodicPass {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false
  protected stopped = false

  constructor(
    private readonly pass: () => Promise<boolean | void>,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs)
    this.timer.unref()
  }

  /** What the timer does: a pass (a subclass may skip it when it knows there is nothing to do). */
  protected tick(): void {
    void this.run()
  }

  /** Stops the timer and waits for a pass in progress (the database closes after). */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    this.stopped = true
    await this.running
  }

  run(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = this.passes()
    return this.running
  }

  private async passes(): Promise<void> {
    try {
      do {
        this.again = false
        if (await this.pass()) this.again = true
      } while (this.again && !this.stopped)
    } catch (error) {
      this.onError(error)
    } finally {
      // In the same step as the loop's last check: a request cannot fall between the two.
      this.running = undefined
    }
  }
}
