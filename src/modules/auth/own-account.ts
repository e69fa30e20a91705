import type { FastifyRequest } from 'fastify'
import type { UserRow } from '../../db/schema.js'
import { AppError } from '../../platform/errors.js'
import type { LoginThrottle } from './login-throttle.js'
import { verifyPassword } from './passwords.js'

/** The caller's browser session: a person's own account is managed by them, not by an API token. */
export function ownSession(request: FastifyRequest) {
  const auth = request.auth!
  if (auth.kind !== 'session') throw new AppError('auth.session_required', 400, 'Only a signed-in person manages their own password, sessions and two-factor login, not an API token.')
  return auth
}

/**
 * Asks for the current password before a change to how one signs in. Wrong guesses count like
 * failed logins, so a browser left open does not become a way to guess the password.
 */
export async function confirmCurrentPassword(throttle: LoginThrottle, request: FastifyRequest, user: UserRow, password: string): Promise<void> {
  const wait = throttle.retryAfter(user.email, request.ip)
  if (wait > 0) throw new AppError('auth.too_many_attempts', 429, 'Too many wrong passwords; try again later.', { headers: { 'retry-after': String(wait) } })
  if (!(await verifyPassword(user.password_hash, password))) {
    throttle.recordFailure(user.email, request.ip)
    throw new AppError('auth.wrong_password', 400, 'The current password is wrong.', { details: { field: 'currentPassword' } })
  }
  throttle.recordSuccess(user.email)
}
