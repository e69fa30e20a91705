import type { Executor } from '../../db/database.js'
import { nowIso } from '../../platform/time.js'

/** Workspace settings as JSON values by key; absent means the default. */
export async function getSetting<T>(db: Executor, key: string): Promise<T | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst()
  return row ? (JSON.parse(row.value) as T) : undefined
}

export async function putSetting(db: Executor, key: string, value: unknown, by: string | null): Promise<void> {
  const row = { key, value: JSON.stringify(value), updated_by: by, updated_at: nowIso() }
  await db
    .insertInto('settings')
    .values(row)
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: row.value, updated_by: by, updated_at: row.updated_at }))
    .execute()
}
