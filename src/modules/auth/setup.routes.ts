import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { AppError } from '../../platform/errors.js'
import { safeEqual } from '../../platform/ids.js'
import { loginResponse, presentUser } from './auth.schemas.js'
import { hashPassword } from './passwords.js'
import { createSession, SESSION_COOKIE, SESSION_IDLE_MS } from './sessions.js'
import { countUsers, insertUser } from './users.repo.js'

/** The one-time token printed on the console at a first start; cleared once used. */
export type SetupState = { token: string | undefined }

const setupBody = z.object({
  token: z.string().min(1).max(200),
  email: z.email().max(320),
  name: z.string().trim().min(1).max(200),
  password: z.string().min(12).max(1024),
})

/**
 * First start without any user: the person who can read the server's console (it prints a link
 * with a one-time token) creates the first administrator in the browser.
 */
export const setupRoutes: FastifyPluginAsync<{ db: Db; setup: SetupState; secureCookies: boolean }> = async (base, { db, setup, secureCookies }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const config = { access: 'public' as const }

  app.get('/api/setup', { config, schema: { tags: ['auth'], response: { 200: z.object({ needed: z.boolean() }) } } }, async () => ({
    needed: setup.token !== undefined && (await countUsers(db)) === 0,
  }))

  app.post('/api/setup', { config, bodyLimit: 16 * 1024, schema: { tags: ['auth'], body: setupBody, response: { 201: loginResponse } } }, async (request, reply) => {
    const { token, email, name, password } = request.body
    if (!setup.token || (await countUsers(db)) > 0) throw new AppError('auth.setup_done', 409, 'Postfach is set up already.')
    if (!safeEqual(token, setup.token)) throw new AppError('auth.setup_token_wrong', 403, 'The setup link is not valid; use the one printed on the server console.')
    const user = await insertUser(db, { email, name, role: 'admin', passwordHash: await hashPassword(password) })
    setup.token = undefined
    const session = await createSession(db, user.id, request.headers['user-agent'])
    void reply.setCookie(SESSION_COOKIE, session.cookieValue, { path: '/', httpOnly: true, sameSite: 'strict', secure: secureCookies, maxAge: SESSION_IDLE_MS / 1000 })
    return reply.code(201).send({ user: presentUser(user), csrfToken: session.csrfToken, twoFactorRequired: false }) // no policy before the first admin
  })
}
