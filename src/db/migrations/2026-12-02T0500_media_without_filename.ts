import type { Kysely } from 'kysely'

/**
 * A file's name is often personal (`Kündigung-Erika-Mustermann.pdf`), and `media.filename` held it
 * in plain text beside sealed message contents. The name is in the message itself (Cloud API's
 * `document.filename`, sealed with the conversation's data key), so the copy goes: overwritten
 * first, so that no row version keeps it, then dropped. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.updateTable('media').set({ filename: null }).where('filename', 'is not', null).execute()
  await db.schema.alterTable('media').dropColumn('filename').execute()
}
