import { type Kysely } from 'kysely'
import { noUpdate } from './append-only.js'

/**
 * The existing-customer exemption (§ 7(3) UWG, compliance UWG-7-3): advertising without consent
 * to a customer whose number came with a sale, for the company's own similar goods, as long as
 * they have not objected and every message tells them they may. One row per basis recorded, with
 * the sale it rests on and the notice given at collection; never changed, deleted only when the
 * person's consent evidence goes. Frozen once landed.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  await db.schema
    .createTable('existing_customer_bases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('sale_reference', 'text', (c) => c.notNull()) // order or invoice number: where the number came from
    .addColumn('sold_at', 'text', (c) => c.notNull()) // YYYY-MM-DD
    .addColumn('notice_text', 'text', (c) => c.notNull()) // the objection notice given when the number was collected
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addColumn('recorded_by', 'text')
    .execute()
  await db.schema.createIndex('existing_customer_bases_contact_idx').on('existing_customer_bases').columns(['contact_id', 'purpose', 'recorded_at']).execute()
  await noUpdate(db, dialect, 'existing_customer_bases')
}
