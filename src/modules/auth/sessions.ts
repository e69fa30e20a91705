import type { Executor } from '../../db/database.js'
import type { UserRow } from '../../db/schema.js'
import { newSecret, sha256Hex } from '../../platform/ids.js'
import { HOUR, isoPlus, nowIso } from '../../platform/time.js'

/** A session lives this long after its last use. */
export const SESSION_IDLE_MS = 12 * HOUR
export const SESSION_COOKIE = 'postfach_session'

/**
 * Creates a server-side session. Returns the cookie value (shown once, stored only as its hash)
 * and the CSRF token the client echoes in `X-CSRF-Token`.
 */
export async function createSession(db: Executor, userId: string, userAgent: string | undefined) {
  const secret = newSecret()
  const csrfToken = newSecret()
  const now = nowIso()
  await db
    .insertInto('sessions')
    .values({
      id: sha256Hex(secret),
      user_id: userId,
      csrf_token: csrfToken,
      created_at: now,
      last_seen_at: now,
      expires_at: isoPlus(now, SESSION_IDLE_MS),
      revoked_at: null,
      user_agent: userAgent?.slice(0, 300) ?? null,
    })
    .execute()
  return { cookieValue: secret, csrfToken }
}

export type SessionWithUser = { sessionId: string; csrfToken: string; user: UserRow }

/** Finds a live session for a cookie value and slides its expiry. Undefined when none is valid. */
export async function resolveSession(db: Executor, cookieValue: string): Promise<SessionWithUser | undefined> {
  const id = sha256Hex(cookieValue)
  const now = nowIso()
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.id as session_id', 'sessions.csrf_token', 'sessions.last_seen_at'])
    .selectAll('users')
    .where('sessions.id', '=', id)
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', now)
    .where('users.active', '=', 1)
    .executeTakeFirst()
  if (!row) return undefined
  // Slide the expiry at most once a minute, so reads stay reads.
  if (Date.parse(now) - Date.parse(row.last_seen_at) > 60_000) {
    await db
      .updateTable('sessions')
      .set({ last_seen_at: now, expires_at: isoPlus(now, SESSION_IDLE_MS) })
      .where('id', '=', id)
      .execute()
  }
  const { session_id, csrf_token, last_seen_at: _seen, ...user } = row
  return { sessionId: session_id, csrfToken: csrf_token, user }
}

export async function revokeSession(db: Executor, sessionId: string): Promise<void> {
  await db.updateTable('sessions').set({ revoked_at: nowIso() }).where('id', '=', sessionId).execute()
}

/** Ends every session of a user, or every one but `except` (the browser that changed its own password). */
export async function revokeUserSessions(db: Executor, userId: string, except?: string): Promise<void> {
  let q = db.updateTable('sessions').set({ revoked_at: nowIso() }).where('user_id', '=', userId).where('revoked_at', 'is', null)
  if (except) q = q.where('id', '!=', except)
  await q.execute()
}

/** How a session is named to its owner: a prefix of its id (the id is a hash of the cookie secret; this names it, it opens nothing). */
export const sessionHandle = (sessionId: string) => sessionId.slice(0, 16)

/** A user's live sessions, newest use first. */
export async function listUserSessions(db: Executor, userId: string) {
  return db
    .selectFrom('sessions')
    .select(['id', 'user_agent', 'created_at', 'last_seen_at'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', nowIso())
    .orderBy('last_seen_at', 'desc')
    .execute()
}
