import type { ExpressionBuilder } from 'kysely'
import type { Db, Executor } from '../../db/database.js'
import type { Database } from '../../db/schema.js'
import { untilFewerThan } from '../../platform/chunks.js'
import { getSetting, putSetting } from '../settings/settings.repo.js'
import { type ContactDetails, type DetailField, SEALED_PREFIX } from './contact-details.js'

/*
 * Free text the team writes about a customer: notes on a conversation, the note and extension
 * reason of a data-subject request, the reason a conversation or message was reclassified. Each
 * often names the person, so each is sealed under their data key like their names (GDPR-32) and
 * unreadable once an erasure destroys it (SHRED-1). Sealed where written; this pass seals what an
 * older release stored in plain text, where the table allows a change.
 */

/** A stored text sealed, unless it is empty or sealed already. */
const sealOnce = (details: ContactDetails, tx: Executor, contactId: string, text: string | null, field: DetailField) =>
  text === null || text.startsWith(SEALED_PREFIX) ? text : details.seal(tx, contactId, text, field)

/** Set once the pass has run: everything written since is sealed where written, so later starts skip the scan. */
export const FREE_TEXT_SEALED = 'privacy.free_text_sealed'

/** Seals the free text stored in plain text before (an upgraded installation), in batches, once. Returns how many rows. */
export async function sealStoredFreeText(db: Db, details: ContactDetails, batch = 500): Promise<number> {
  if (await getSetting<boolean>(db, FREE_TEXT_SEALED)) return 0
  const inBatches = (step: (tx: Executor) => Promise<number>) => untilFewerThan(batch, () => db.transaction().execute(step))
  const notes = await inBatches(async (tx) => {
    const rows = await tx
      .selectFrom('notes')
      .innerJoin('conversations', 'conversations.id', 'notes.conversation_id')
      .select(['notes.id', 'notes.body', 'conversations.contact_id'])
      .where('notes.body', 'not like', `${SEALED_PREFIX}%`)
      .limit(batch)
      .execute()
    for (const r of rows) await tx.updateTable('notes').set({ body: (await sealOnce(details, tx, r.contact_id, r.body, 'note'))! }).where('id', '=', r.id).execute()
    return rows.length
  })
  const requests = await inBatches(async (tx) => {
    const plain = (eb: ExpressionBuilder<Database, 'dsr_requests'>, column: 'note' | 'extension_reason') => eb.and([eb(column, 'is not', null), eb(column, 'not like', `${SEALED_PREFIX}%`)])
    const rows = await tx
      .selectFrom('dsr_requests')
      .select(['id', 'note', 'extension_reason', 'contact_id'])
      .where('contact_id', 'is not', null)
      .where((eb) => eb.or([plain(eb, 'note'), plain(eb, 'extension_reason')]))
      .limit(batch)
      .execute()
    for (const r of rows) {
      await tx
        .updateTable('dsr_requests')
        .set({ note: await sealOnce(details, tx, r.contact_id!, r.note, 'request-note'), extension_reason: await sealOnce(details, tx, r.contact_id!, r.extension_reason, 'request-note') })
        .where('id', '=', r.id)
        .execute()
    }
    return rows.length
  })
  // Classification reasons written before stay as they are: that history is append-only (GOBD-11).
  await putSetting(db, FREE_TEXT_SEALED, true, null)
  return notes + requests
}
