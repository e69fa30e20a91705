import type { Kysely } from 'kysely'

/**
 * When each person last signed in, for the admin's review of who still needs access (Art. 32
 * GDPR: access rights reviewed; an account nobody uses is one to deactivate). Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('last_login_at', 'text').execute()
}
