import type { Executor } from '../../db/database.js'
import type { Role, UserRow } from '../../db/schema.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'

export const findUserByEmail = (db: Executor, email: string): Promise<UserRow | undefined> =>
  db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst()

export const findUserById = (db: Executor, id: string): Promise<UserRow | undefined> =>
  db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()

export const listUsers = (db: Executor): Promise<UserRow[]> =>
  db.selectFrom('users').selectAll().orderBy('email').execute()

/** Of these user ids, the ones of active colleagues who work conversations (admins and agents, not auditors). */
export async function activeStaff(db: Executor, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return []
  return (await db.selectFrom('users').select('id').where('id', 'in', ids).where('active', '=', 1).where('role', '!=', 'auditor').execute()).map((u) => u.id)
}

export async function countUsers(db: Executor): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function insertUser(
  db: Executor,
  u: { email: string; name: string; role: Role; passwordHash: string },
): Promise<UserRow> {
  const now = nowIso()
  const row = { id: newId(), email: u.email.toLowerCase(), name: u.name, role: u.role, password_hash: u.passwordHash, active: 1, created_at: now, updated_at: now }
  await db.insertInto('users').values(row).execute()
  // Two-factor login starts off (its columns default to null; naming them here would also break
  // the upgrade tests, which add users to a database from before them).
  return { ...row, totp_secret: null, totp_pending: null, totp_last_step: null, totp_enabled_at: null, last_login_at: null }
}

export async function updateUser(
  db: Executor,
  id: string,
  patch: Partial<Pick<UserRow, 'name' | 'role' | 'active' | 'password_hash' | 'last_login_at'>>,
): Promise<void> {
  await db.updateTable('users').set({ ...patch, updated_at: nowIso() }).where('id', '=', id).execute()
}
