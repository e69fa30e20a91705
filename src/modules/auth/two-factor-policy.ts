import { z } from 'zod'
import type { Executor } from '../../db/database.js'
import type { Role, UserRow } from '../../db/schema.js'
import { getSetting } from '../settings/settings.repo.js'

/**
 * Whom the company requires to sign in with a second factor (Art. 32 GDPR: access to customers'
 * data protected by the state of the art). Someone covered who has not set it up yet may, once
 * signed in, do nothing but set it up (their own account routes); API tokens are not affected.
 */
export const requireTwoFactorSchema = z.enum(['nobody', 'admins', 'everyone'])
export type RequireTwoFactor = z.infer<typeof requireTwoFactorSchema>
export const TWO_FACTOR_POLICY_KEY = 'auth.require_two_factor'

export const readTwoFactorPolicy = async (db: Executor): Promise<RequireTwoFactor> =>
  requireTwoFactorSchema.catch('nobody').parse((await getSetting<unknown>(db, TWO_FACTOR_POLICY_KEY)) ?? 'nobody')

/**
 * The rule as the access check sees it: asked on every request of a session without a second
 * factor, so kept for a few seconds per database instead of read each time. The route that changes
 * it updates this at once; another process sharing the database sees a change within the TTL.
 */
const CACHE_MS = 10_000
const cached = new WeakMap<object, { rule: RequireTwoFactor; at: number }>()
async function currentPolicy(db: Executor): Promise<RequireTwoFactor> {
  const hit = cached.get(db)
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.rule
  const rule = await readTwoFactorPolicy(db)
  cached.set(db, { rule, at: Date.now() })
  return rule
}
export const rememberTwoFactorPolicy = (db: Executor, rule: RequireTwoFactor) => cached.set(db, { rule, at: Date.now() })

export const policyCovers = (policy: RequireTwoFactor, role: Role) => policy === 'everyone' || (policy === 'admins' && role === 'admin')

/** Whether this person must set up two-factor login before anything else. */
export async function mustSetUpTwoFactor(db: Executor, user: Pick<UserRow, 'role' | 'totp_enabled_at'>): Promise<boolean> {
  return user.totp_enabled_at === null && policyCovers(await currentPolicy(db), user.role)
}
