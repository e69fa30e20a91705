import { readStrictEu } from '../privacy/retention-settings.js'
import { readTeamAccess } from '../privacy/team-access.js'
import { audit } from '../privacy/audit.js'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { AppError, notFound, unauthorized } from '../../platform/errors.js'
import { ALL_ROLES } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import { loginBody, loginResponse, passwordChangeBody, presentUser } from './auth.schemas.js'
import type { LoginThrottle } from './login-throttle.js'
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords.js'
import { createSession, listUserSessions, revokeSession, revokeUserSessions, SESSION_COOKIE, SESSION_IDLE_MS, sessionHandle } from './sessions.js'
import { confirmCurrentPassword, ownSession } from './own-account.js'
import { mustSetUpTwoFactor } from './two-factor-policy.js'
import type { TwoFactor } from './two-factor.js'
import { findUserByEmail, updateUser } from './users.repo.js'
import { nowIso } from '../../platform/time.js'

export type AuthRoutesOptions = { db: Db; throttle: LoginThrottle; twoFactor: TwoFactor; secureCookies: boolean }

export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (base, { db, throttle, twoFactor, secureCookies }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()

  app.post(
    '/api/auth/login',
    { config: { access: 'public' }, bodyLimit: 16 * 1024, schema: { tags: ['auth'], body: loginBody, response: { 200: loginResponse } } },
    async (request, reply) => {
      const email = request.body.email.toLowerCase()
      const wait = throttle.retryAfter(email, request.ip)
      if (wait > 0) {
        throw new AppError('auth.too_many_attempts', 429, 'Too many failed logins; try again later.', { headers: { 'retry-after': String(wait) } })
      }
      const user = await findUserByEmail(db, email)
      // Verify against a dummy hash when the user does not exist, so timing reveals nothing.
      const ok = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), request.body.password)
      if (!user || !ok || user.active !== 1) {
        throttle.recordFailure(email, request.ip)
        throw unauthorized('E-mail or password is wrong.')
      }
      if (user.totp_secret) {
        // The password was right; the second step asks for the code (the client sends both again).
        const { code } = request.body
        if (!code) throw new AppError('auth.two_factor_required', 401, 'Enter the code from your authenticator app, or a recovery code.')
        const how = await twoFactor.verify(db, user, code)
        if (!how) {
          throttle.recordFailure(email, request.ip)
          throw new AppError('auth.two_factor_invalid', 401, 'The code is wrong, expired or used already.', { details: { field: 'code' } })
        }
        if (how === 'recovery') await audit(db, request, { action: 'user.recovery_code_used', target: `user:${user.id}`, detail: { left: await twoFactor.recoveryCodesLeft(db, user.id) } }, user)
      }
      throttle.recordSuccess(email)
      const session = await createSession(db, user.id, request.headers['user-agent'])
      await updateUser(db, user.id, { last_login_at: nowIso() })
      void reply.setCookie(SESSION_COOKIE, session.cookieValue, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: secureCookies,
        maxAge: SESSION_IDLE_MS / 1000,
      })
      return { user: presentUser(user), csrfToken: session.csrfToken, twoFactorRequired: await mustSetUpTwoFactor(db, user) }
    },
  )

  app.post(
    '/api/auth/logout',
    { config: { access: ALL_ROLES }, schema: { tags: ['auth'], response: { 204: z.null() } } },
    async (request, reply) => {
      if (request.auth?.kind === 'session') await revokeSession(db, request.auth.sessionId)
      void reply.clearCookie(SESSION_COOKIE, { path: '/' })
      return reply.code(204).send(null)
    },
  )

  // Everyone changes their own password (an admin's initial one is meant to be replaced). Wrong
  // guesses count like failed logins; the person's other browsers are signed out.
  app.post(
    '/api/auth/password',
    { config: { access: ALL_ROLES }, bodyLimit: 16 * 1024, schema: { tags: ['auth'], body: passwordChangeBody, response: { 204: z.null() } } },
    async (request, reply) => {
      const auth = ownSession(request)
      const { user } = auth
      await confirmCurrentPassword(throttle, request, user, request.body.currentPassword)
      if (request.body.newPassword === request.body.currentPassword) {
        throw new AppError('auth.same_password', 400, 'The new password must differ from the current one.', { details: { field: 'newPassword' } })
      }
      const hash = await hashPassword(request.body.newPassword)
      await db.transaction().execute(async (tx) => {
        await updateUser(tx, user.id, { password_hash: hash })
        await revokeUserSessions(tx, user.id, auth.sessionId)
        await audit(tx, request, { action: 'user.password_changed', target: `user:${user.id}` })
      })
      return reply.code(204).send(null)
    },
  )

  // Where I am signed in (browser, since when, last use), and signing out one of the others.
  const sessionSchema = z.object({ id: z.string(), userAgent: z.string().nullable(), createdAt: z.string(), lastSeenAt: z.string(), current: z.boolean() })
  const sessionParams = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'a session id from GET /api/auth/sessions') })
  app.get('/api/auth/sessions', { config: { access: ALL_ROLES }, schema: { tags: ['auth'], response: { 200: listOf(sessionSchema) } } }, async (request) => {
    const auth = ownSession(request)
    const rows = await listUserSessions(db, auth.user.id)
    return { items: rows.map((r) => ({ id: sessionHandle(r.id), userAgent: r.user_agent, createdAt: r.created_at, lastSeenAt: r.last_seen_at, current: r.id === auth.sessionId })), nextCursor: null }
  })
  // After a lost laptop or a shared computer: every other browser signed out at once.
  app.delete('/api/auth/sessions', { config: { access: ALL_ROLES }, schema: { tags: ['auth'], response: { 200: z.object({ signedOut: z.number().int() }) } } }, async (request) => {
    const auth = ownSession(request)
    const others = (await listUserSessions(db, auth.user.id)).filter((r) => r.id !== auth.sessionId)
    await db.transaction().execute(async (tx) => {
      await revokeUserSessions(tx, auth.user.id, auth.sessionId)
      if (others.length) await audit(tx, request, { action: 'session.signed_out', target: `user:${auth.user.id}`, detail: { sessions: others.map((r) => sessionHandle(r.id)) } })
    })
    return { signedOut: others.length }
  })
  app.delete('/api/auth/sessions/:id', { config: { access: ALL_ROLES }, schema: { tags: ['auth'], params: sessionParams, response: { 204: z.null() } } }, async (request, reply) => {
    const auth = ownSession(request)
    if (sessionHandle(auth.sessionId) === request.params.id) throw new AppError('auth.current_session', 400, 'This is the session you are using: sign out instead.')
    const target = (await listUserSessions(db, auth.user.id)).find((r) => sessionHandle(r.id) === request.params.id)
    if (!target) throw notFound('Session')
    await db.transaction().execute(async (tx) => {
      await revokeSession(tx, target.id)
      await audit(tx, request, { action: 'session.signed_out', target: `user:${auth.user.id}`, detail: { session: request.params.id } })
    })
    return reply.code(204).send(null)
  })

  app.get(
    '/api/auth/me',
    { config: { access: ALL_ROLES }, schema: { tags: ['auth'], response: { 200: loginResponse.extend({ csrfToken: z.string().nullable(), maskNumbersInLists: z.boolean(), strictEu: z.boolean() }) } } },
    async (request) => {
      const auth = request.auth!
      if (auth.kind !== 'session') throw new AppError('auth.session_required', 400, 'This endpoint describes a browser session.')
      // What the app shows depends on privacy settings: masked numbers in lists (GDPR-25), no links outside the EU (GDPR-44).
      return { user: presentUser(auth.user), csrfToken: auth.csrfToken, twoFactorRequired: await mustSetUpTwoFactor(db, auth.user), maskNumbersInLists: (await readTeamAccess(db)).maskNumbersInLists, strictEu: await readStrictEu(db) }
    },
  )
}
