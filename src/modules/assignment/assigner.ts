import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../../db/database.js'
import { PeriodicPass } from '../../platform/periodic-pass.js'
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
export class AutoAssigner extends PeriodicPass {
  private settings: { value: AssignmentSettings; at: number } | undefined

  constructor(
    private readonly db: Db,
    log: FastifyBaseLogger,
    onAssigned: (assigned: Assignment[]) => void,
    intervalMs = 30_000,
  ) {
    super(
      async () => {
        const settings = await this.current()
        if (!settings.enabled) return false
        const { assigned, more } = await assignWaiting(this.db, settings)
        if (assigned.length > 0) onAssigned(assigned)
        return more
      },
      (error) => log.error({ err: error }, 'automatic assignment failed; the next run tries again'),
      intervalMs,
    )
  }

  override start(): void {
    super.start()
    this.poke()
  }

  protected override tick(): void {
    this.poke()
  }

  /** The settings as just saved: used at once by this instance. */
  remember(value: AssignmentSettings): void {
    this.settings = { value, at: Date.now() }
  }

  poke(): void {
    if (this.settings && !this.settings.value.enabled && Date.now() - this.settings.at < SETTINGS_TTL_MS) return
    void this.run()
  }

  private async current(): Promise<AssignmentSettings> {
    if (!this.settings || Date.now() - this.settings.at >= SETTINGS_TTL_MS) this.remember(await readAssignmentSettings(this.db))
    return this.settings!.value
  }
}
