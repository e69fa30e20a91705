import type { Kysely } from 'kysely'

/**
 * Automatic assignment: each colleague's availability (set by themselves) and presence (an open
 * app, renewed while it stays open), and when a conversation's assignee last changed, so that a
 * conversation someone handed back waits for the customer's next message before it is assigned
 * again. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('team_presence')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('availability', 'text', (c) => c.notNull())
    .addColumn('present_at', 'text')
    .addColumn('last_assigned_at', 'text')
    .execute()
  await db.schema.alterTable('conversations').addColumn('assignee_changed_at', 'text').execute()
}
