import { readStrictEu } from '../privacy/retention-settings.js'
import { readTeamAccess } from '../privacy/team-access.js'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { AppError, unauthorized } from '../../platform/errors.js'
import { ALL_ROLES } from '../../platform/http/access.js'
import { loginBody, loginResponse, presentUser } from './auth.schemas.js'
import type { LoginThrottle } from './login-throttle.js'
import { dummyPasswordHash, verifyPassword } from './passwords.js'
import { createSession, revokeSession, SESSION_COOKIE, SESSION_IDLE_MS } from './sessions.js'
import { findUserByEmail } from './users.repo.js'

export type AuthRoutesOptions = { db: Db; throttle: LoginThrottle; secureCookies: boolean }

export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (base, { db, throttle, secureCookies }) => {
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
      throttle.recordSuccess(email)
      const session = await createSession(db, user.id, request.headers['user-agent'])
      void reply.setCookie(SESSION_COOKIE, session.cookieValue, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: secureCookies,
        maxAge: SESSION_IDLE_MS / 1000,
      })
      return { user: presentUser(user), csrfToken: session.csrfToken }
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

  app.get(
    '/api/auth/me',
    { config: { access: ALL_ROLES }, schema: { tags: ['auth'], response: { 200: loginResponse.extend({ csrfToken: z.string().nullable(), maskNumbersInLists: z.boolean(), strictEu: z.boolean() }) } } },
    async (request) => {
      const auth = request.auth!
      if (auth.kind !== 'session') throw new AppError('auth.session_required', 400, 'This endpoint describes a browser session.')
      // What the app shows depends on privacy settings: masked numbers in lists (GDPR-25), no links outside the EU (GDPR-44).
      return { user: presentUser(auth.user), csrfToken: auth.csrfToken, maskNumbersInLists: (await readTeamAccess(db)).maskNumbersInLists, strictEu: await readStrictEu(db) }
    },
  )
}
