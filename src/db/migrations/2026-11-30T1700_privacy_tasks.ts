import type { Kysely } from 'kysely'

/**
 * Tasks of the data-protection workflow that a person must do before the system may act: before a
 * restriction the person asked for is lifted, they are told (Art. 18(3)). Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('privacy_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('kind', 'text', (c) => c.notNull()) // inform-before-lifting
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('completed_by', 'text')
    .addColumn('completed_at', 'text')
    .addColumn('note', 'text') // how the person was informed
    .execute()
}
