import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../../db/database.js'
import { type AssignmentSettings, readAssignmentSettings } from './assignment-settings.js'
import { type Assignment, assignWaiting } from './auto-assign.js'

/** How long the settings are trusted in memory (another instance's change arrives within it). */
const SETTINGS_TTL_MS = 10_000

/**
 * Runs automatic assignment whenever something may have changed who gets what: a customer wrote,
 * a colleague became available or opened the app, a conversation was resolved or handed back, the
 * settings changed — and every half minute, for presence that lapsed and for anything a crash cut
 * short. Pokes while a run is going coalesce into one more run, so a burst of webhooks costs at most
 * two runs, and nothing at all while assignment is off.
 */
export class AutoAssigner {
  private running: Promise<void> | undefined
  private again = false
  private timer: NodeJS.Timeout | undefined
  private settings: { value: AssignmentSettings; at: number } | undefined
  private stopped = false

  constructor(
    private readonly db: Db,
    private readonly log: FastifyBaseLogger,
    private readonly onAssigned: (assigned: Assignment[]) => void,
    private readonly intervalMs = 30_000,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.poke(), this.intervalMs)
    this.timer.unref()
    this.poke()
  }

  /** Stops the timer and waits for a run in progress (the database closes after). */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    this.stopped = true
    await this.running
  }

  /** The settings as just saved: used at once by this instance. */
  remember(value: AssignmentSettings): void {
    this.settings = { value, at: Date.now() }
  }

  poke(): void {
    if (this.stopped) return
    if (this.settings && !this.settings.value.enabled && Date.now() - this.settings.at < SETTINGS_TTL_MS) return
    void this.run()
  }

  private async current(): Promise<AssignmentSettings> {
    if (!this.settings || Date.now() - this.settings.at >= SETTINGS_TTL_MS) this.remember(await readAssignmentSettings(this.db))
    return this.settings!.value
  }

  private run(): Promise<void> {
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = this.runAll()
    return this.running
  }

  private async runAll(): Promise<void> {
    try {
      do {
        this.again = false
        const settings = await this.current()
        if (!settings.enabled) break
        const { assigned, more } = await assignWaiting(this.db, settings)
        if (assigned.length > 0) this.onAssigned(assigned)
        if (more) this.again = true
      } while (this.again && !this.stopped)
    } catch (error) {
      this.log.error({ err: error }, 'automatic assignment failed; the next run tries again')
    } finally {
      // In the same step as the loop's last check: a poke cannot fall between the two.
      this.running = undefined
    }
  }
}
