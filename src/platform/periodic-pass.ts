/**
 * A background pass that runs every interval and whenever asked. Asked while one is going (a
 * setting saved meanwhile), one more pass follows it, so a change never waits for the next tick;
 * a failed pass is logged by `onError` and the next one tries again.
 */
export class PeriodicPass {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.run(), this.intervalMs)
    this.timer.unref()
  }

  /** Stops the timer and waits for a pass in progress (the database closes after). */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.running
  }

  run(): Promise<void> {
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
        await this.pass()
      } while (this.again)
    } catch (error) {
      this.onError(error)
    } finally {
      this.running = undefined
    }
  }
}
