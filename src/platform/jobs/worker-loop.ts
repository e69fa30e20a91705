/**
 * A background loop that can be started, woken early and stopped. Subclasses implement `run`,
 * checking `running` and calling `idle(ms)` when there is nothing to do; `poke` cuts an idle short.
 */
export abstract class WorkerLoop {
  private stopped = true
  private loop: Promise<void> | undefined
  private wake: (() => void) | undefined

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.loop = this.run()
  }

  /** Stops the loop and waits until it and the work it started are done. */
  async stop(): Promise<void> {
    this.stopped = true
    this.wake?.()
    await this.loop
    await this.drain()
  }

  /** Wakes the loop at once (new work was just committed). */
  poke(): void {
    this.wake?.()
  }

  protected get running(): boolean {
    return !this.stopped
  }

  protected idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms)
      function done() {
        clearTimeout(t)
        resolve()
      }
      this.wake = done
    })
  }

  protected abstract run(): Promise<void>

  /** Work still under way when the loop ended (sends in flight); nothing by default. */
  protected async drain(): Promise<void> {}
}
