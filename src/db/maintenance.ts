import { sql } from 'kysely'
import type { DatabaseHandle } from './database.js'

/**
 * What an operator should know about the PostgreSQL server's upkeep; undefined when nothing.
 * Postfach's queues (statistics changes, jobs) and often-updated rows (conversations) leave dead
 * row versions behind, and its queries are planned from statistics: without autovacuum neither is
 * cleaned up nor refreshed, and the database slows down month by month.
 */
export async function postgresUpkeepWarning(database: DatabaseHandle): Promise<string | undefined> {
  if (database.dialect !== 'postgres') return undefined
  const { rows } = await sql<{ autovacuum: string }>`select current_setting('autovacuum') as autovacuum`.execute(database.db)
  if (rows[0]?.autovacuum === 'on') return undefined
  return "PostgreSQL's autovacuum is off: dead rows and stale planner statistics will slow Postfach down. Turn it on (autovacuum = on), or run VACUUM ANALYZE on Postfach's tables regularly."
}
