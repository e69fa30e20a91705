import type { Kysely } from 'kysely'

/**
 * Two-factor login with an authenticator app (TOTP, RFC 6238). Frozen once landed.
 * - users.totp_secret: the confirmed secret, sealed under a key derived from the installation's
 *   root (never stored plain); users.totp_pending: a secret shown for setup, not yet confirmed;
 *   users.totp_last_step: the last 30-second step a code was accepted for, so a code works once;
 *   users.totp_enabled_at: since when the second factor is required.
 * - recovery_codes: one-time codes for a lost phone, stored as keyed hashes; used_at marks the one spent.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('totp_secret', 'text').execute()
  await db.schema.alterTable('users').addColumn('totp_pending', 'text').execute()
  await db.schema.alterTable('users').addColumn('totp_last_step', 'bigint').execute()
  await db.schema.alterTable('users').addColumn('totp_enabled_at', 'text').execute()
  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute()
  await db.schema.createIndex('recovery_codes_user_idx').on('recovery_codes').columns(['user_id', 'code_hash']).execute()
}
