import type { Kysely } from 'kysely'

/**
 * A waiting conversation may carry a reminder: at `pending_until` it opens again by itself (a job
 * queued with the reminder does it), unless the customer wrote first. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('conversations').addColumn('pending_until', 'text').execute()
}
