import type { Executor } from '../../db/database.js'
import type { Role } from '../../db/schema.js'
import { newId, newSecret, sha256Hex } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'

/** Prefix that makes a leaked token recognisable to secret scanners. */
const TOKEN_PREFIX = 'pf_'

/** Creates an API token. The plain token is returned once and stored only as its SHA-256. */
export async function createApiToken(db: Executor, t: { name: string; role: Role; createdBy: string | null }) {
  const token = TOKEN_PREFIX + newSecret()
  const row = {
    id: newId(),
    name: t.name,
    role: t.role,
    token_hash: sha256Hex(token),
    created_by: t.createdBy,
    created_at: nowIso(),
    last_used_at: null,
    revoked_at: null,
  }
  await db.insertInto('api_tokens').values(row).execute()
  return { token, row }
}

/** Resolves a bearer token to its live row and records its use. */
export async function resolveApiToken(db: Executor, token: string) {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined
  const row = await db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'role', 'last_used_at'])
    .where('token_hash', '=', sha256Hex(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  if (!row) return undefined
  const now = nowIso()
  if (!row.last_used_at || Date.parse(now) - Date.parse(row.last_used_at) > 60_000) {
    await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute()
  }
  return row
}

export const listApiTokens = (db: Executor) =>
  db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'role', 'created_by', 'created_at', 'last_used_at', 'revoked_at'])
    .orderBy('created_at', 'desc')
    .execute()

export async function revokeApiToken(db: Executor, id: string): Promise<boolean> {
  const res = await db
    .updateTable('api_tokens')
    .set({ revoked_at: nowIso() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(res.numUpdatedRows) > 0
}
