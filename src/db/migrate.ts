import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely'
import type { DatabaseHandle, Dialect } from './database.js'
import * as foundation from './migrations/2026-11-23T1800_foundation.js'
import * as workspace from './migrations/2026-11-24T0900_workspace.js'
import * as consent from './migrations/2026-11-24T1200_consent.js'
import * as privacy from './migrations/2026-11-29T2000_privacy.js'
import * as archive from './migrations/2026-11-30T0900_archive.js'
import * as channelOperations from './migrations/2026-11-30T1500_channel_operations.js'
import * as searchFolding from './migrations/2026-11-30T1600_search_folding.js'
import * as privacyTasks from './migrations/2026-11-30T1700_privacy_tasks.js'
import * as statsProjection from './migrations/2026-11-30T1800_stats_projection.js'
import * as consentEvidenceExpiry from './migrations/2026-11-30T1900_consent_evidence_expiry.js'
import * as contactSearchName from './migrations/2026-11-30T2000_contact_search_name.js'
import * as sealedMessages from './migrations/2026-11-30T2100_sealed_messages.js'
import * as existingCustomers from './migrations/2026-11-30T2200_existing_customers.js'
import * as contactSearchSharpS from './migrations/2026-12-01T0000_contact_search_sharp_s.js'
import * as sealedContactNames from './migrations/2026-12-01T0100_sealed_contact_names.js'
import * as sealedContactNumbers from './migrations/2026-12-01T0200_sealed_contact_numbers.js'
import * as archiveNodeLevels from './migrations/2026-12-01T0300_archive_node_levels.js'
import * as conversationContactIndex from './migrations/2026-12-01T1600_conversation_contact_index.js'
import * as mediaWithoutFilename from './migrations/2026-12-02T0500_media_without_filename.js'
import * as conversationReminders from './migrations/2026-12-02T0900_conversation_reminders.js'
import * as twoFactorLogin from './migrations/2026-12-02T1000_two_factor_login.js'
import * as userLastLogin from './migrations/2026-12-02T1100_user_last_login.js'
import * as autoAssignment from './migrations/2026-12-02T1300_auto_assignment.js'
import * as replyTargets from './migrations/2026-12-02T1500_reply_targets.js'
import * as waitingIndex from './migrations/2026-12-02T1900_waiting_index.js'

type DialectMigration = {
  up(db: Kysely<any>, dialect: Dialect): Promise<void>
  down?(db: Kysely<any>, dialect: Dialect): Promise<void>
}

/** Every migration in execution order. Names carry an ISO date so order is obvious. */
const MIGRATIONS: Record<string, DialectMigration> = {
  '2026-11-23T1800_foundation': foundation,
  '2026-11-24T0900_workspace': workspace,
  '2026-11-24T1200_consent': consent,
  '2026-11-29T2000_privacy': privacy,
  '2026-11-30T0900_archive': archive,
  '2026-11-30T1500_channel_operations': channelOperations,
  '2026-11-30T1600_search_folding': searchFolding,
  '2026-11-30T1700_privacy_tasks': privacyTasks,
  '2026-11-30T1800_stats_projection': statsProjection,
  '2026-11-30T1900_consent_evidence_expiry': consentEvidenceExpiry,
  '2026-11-30T2000_contact_search_name': contactSearchName,
  '2026-11-30T2100_sealed_messages': sealedMessages,
  '2026-11-30T2200_existing_customers': existingCustomers,
  '2026-12-01T0000_contact_search_sharp_s': contactSearchSharpS,
  '2026-12-01T0100_sealed_contact_names': sealedContactNames,
  '2026-12-01T0200_sealed_contact_numbers': sealedContactNumbers,
  '2026-12-01T0300_archive_node_levels': archiveNodeLevels,
  '2026-12-01T1600_conversation_contact_index': conversationContactIndex,
  '2026-12-02T0500_media_without_filename': mediaWithoutFilename,
  '2026-12-02T0900_conversation_reminders': conversationReminders,
  '2026-12-02T1000_two_factor_login': twoFactorLogin,
  '2026-12-02T1100_user_last_login': userLastLogin,
  '2026-12-02T1300_auto_assignment': autoAssignment,
  '2026-12-02T1500_reply_targets': replyTargets,
  '2026-12-02T1900_waiting_index': waitingIndex,
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {}
    for (const [name, m] of Object.entries(MIGRATIONS)) {
      out[name] = {
        up: (db) => m.up(db, this.dialect),
        ...(m.down ? { down: (db: Kysely<any>) => m.down!(db, this.dialect) } : {}),
      }
    }
    return out
  }
}

function migrator(handle: DatabaseHandle) {
  return new Migrator({
    db: handle.db,
    provider: new StaticProvider(handle.dialect),
    ...(handle.schema ? { migrationTableSchema: handle.schema } : {}),
  })
}

/**
 * Kysely's migrator looks for its tables by listing every table of every schema in the database,
 * and PostgreSQL fails that listing (42P01) when another schema's table is dropped meanwhile (a
 * second installation or a test run cleaning up). Nothing was changed by then, so try again.
 */
async function tolerantOfCatalogChanges<T extends { error?: unknown; results?: readonly unknown[] }>(run: () => Promise<T>): Promise<T> {
  // A database where other schemas churn fast (test runs cleaning up on a busy machine) can
  // race several listings in a row: a short, growing pause lets one fall between two drops.
  for (let attempt = 1; ; attempt++) {
    const outcome = await run()
    const raced = outcome.error && outcome.results === undefined && (outcome.error as { code?: string }).code === '42P01'
    if (!raced || attempt === 20) return outcome
    await new Promise((r) => setTimeout(r, attempt * 5))
  }
}

/** Applies all pending migrations. Throws with the failing migration's name and cause. */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  const { error, results } = await tolerantOfCatalogChanges(() => migrator(handle).migrateToLatest())
  const failed = results?.find((r) => r.status === 'Error')
  if (error) {
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${String((error as Error).message ?? error)}`, {
      cause: error,
    })
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

/** Applies migrations up to and including `name` (tests that start from an older schema). */
export async function migrateTo(handle: DatabaseHandle, name: string): Promise<void> {
  const { error } = await tolerantOfCatalogChanges(() => migrator(handle).migrateTo(name))
  if (error) throw new Error(`migration to ${name} failed: ${String((error as Error).message ?? error)}`, { cause: error })
}

/** True when every known migration has been applied. */
export async function migrationsApplied(handle: DatabaseHandle): Promise<boolean> {
  const { error, results } = await tolerantOfCatalogChanges(() =>
    migrator(handle)
      .getMigrations()
      .then((results) => ({ results, error: undefined }), (error: unknown) => ({ results: undefined, error })),
  )
  if (error) throw error
  return results!.every((m) => m.executedAt !== undefined)
}
