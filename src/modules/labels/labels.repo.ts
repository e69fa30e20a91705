import type { Executor } from '../../db/database.js'
import type { LabelRow } from '../../db/schema.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'

export const listLabels = (db: Executor) => db.selectFrom('labels').selectAll().orderBy('name').execute()

export const findLabel = (db: Executor, id: string) => db.selectFrom('labels').selectAll().where('id', '=', id).executeTakeFirst()

export const findLabelByName = (db: Executor, name: string) =>
  db.selectFrom('labels').selectAll().where('name', '=', name).executeTakeFirst()

export async function insertLabel(db: Executor, l: { name: string; color: string }): Promise<LabelRow> {
  const now = nowIso()
  const row = { id: newId(), name: l.name, color: l.color, created_at: now, updated_at: now }
  await db.insertInto('labels').values(row).execute()
  return row
}

export async function updateLabel(db: Executor, id: string, patch: { name?: string; color?: string }): Promise<void> {
  await db.updateTable('labels').set({ ...patch, updated_at: nowIso() }).where('id', '=', id).execute()
}

/** Deleting a label removes it from every conversation (no orphaned chips). */
export async function deleteLabel(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('conversation_labels').where('label_id', '=', id).execute()
  await db.deleteFrom('labels').where('id', '=', id).execute()
}

/** Applies a label; applying it twice is a no-op. */
export async function applyLabel(db: Executor, a: { conversationId: string; labelId: string; by: string | null }): Promise<void> {
  await db
    .insertInto('conversation_labels')
    .values({ conversation_id: a.conversationId, label_id: a.labelId, created_by: a.by, created_at: nowIso() })
    .onConflict((oc) => oc.columns(['conversation_id', 'label_id']).doNothing())
    .execute()
}

export async function removeLabel(db: Executor, conversationId: string, labelId: string): Promise<void> {
  await db.deleteFrom('conversation_labels').where('conversation_id', '=', conversationId).where('label_id', '=', labelId).execute()
}

/** Label ids per conversation, for a page of conversations. */
export async function labelIdsOf(db: Executor, conversationIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(conversationIds.map((id) => [id, []]))
  if (conversationIds.length === 0) return out
  const rows = await db
    .selectFrom('conversation_labels')
    .select(['conversation_id', 'label_id'])
    .where('conversation_id', 'in', conversationIds)
    .orderBy('created_at')
    .execute()
  for (const r of rows) out.get(r.conversation_id)?.push(r.label_id)
  return out
}
