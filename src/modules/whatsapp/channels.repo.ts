import type { Executor } from '../../db/database.js'
import { nowIso } from '../../platform/time.js'

/** Makes sure the configured number has its channel row (where a pause is recorded). */
export async function ensureChannel(db: Executor, c: { id: string; wabaId: string; displayPhoneNumber?: string | undefined }): Promise<void> {
  const now = nowIso()
  await db
    .insertInto('channels')
    .values({ id: c.id, waba_id: c.wabaId, display_phone_number: c.displayPhoneNumber ?? null, paused_reason: null, paused_at: null, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ waba_id: c.wabaId, updated_at: now }))
    .execute()
}

/** Resumes a paused channel (after the admin set a new token, for example). */
export async function resumeChannel(db: Executor, id: string): Promise<void> {
  await db.updateTable('channels').set({ paused_reason: null, paused_at: null, updated_at: nowIso() }).where('id', '=', id).execute()
}
