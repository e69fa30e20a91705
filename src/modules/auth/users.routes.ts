import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { conflict, notFound } from '../../platform/errors.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import { createApiToken, listApiTokens, revokeApiToken } from './api-tokens.js'
import { createTokenBody, createUserBody, idParams, presentUser, tokenSchema, updateUserBody, userSchema } from './auth.schemas.js'
import { hashPassword } from './passwords.js'
import { revokeUserSessions } from './sessions.js'
import { disableTwoFactor } from './two-factor.js'
import { policyCovers, readTwoFactorPolicy, rememberTwoFactorPolicy, requireTwoFactorSchema, TWO_FACTOR_POLICY_KEY } from './two-factor-policy.js'
import { putSetting } from '../settings/settings.repo.js'
import { findUserByEmail, findUserById, insertUser, listUsers, updateUser } from './users.repo.js'
import { audit } from '../privacy/audit.js'

const list = listOf

/** Administration of users and API tokens (admin only). */
export const userRoutes: FastifyPluginAsync<{ db: Db }> = async (base, { db }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const access = ADMIN

  app.get('/api/users', { config: { access }, schema: { tags: ['users'], response: { 200: list(userSchema) } } }, async () => ({
    items: (await listUsers(db)).map(presentUser),
    nextCursor: null,
  }))

  // Colleagues an agent can assign a conversation to or mention: names only, no e-mail addresses.
  app.get('/api/team', { config: { access: STAFF }, schema: { tags: ['users'], response: { 200: list(z.object({ id: z.string(), name: z.string(), role: z.enum(['admin', 'agent']) })) } } }, async () => ({
    items: (await listUsers(db)).flatMap((u) => (u.active === 1 && u.role !== 'auditor' ? [{ id: u.id, name: u.name, role: u.role as 'admin' | 'agent' }] : [])),
    nextCursor: null,
  }))

  app.post('/api/users', { config: { access }, schema: { tags: ['users'], body: createUserBody, response: { 201: userSchema } } }, async (request, reply) => {
    const { email, name, role, password } = request.body
    if (await findUserByEmail(db, email)) throw conflict('users.email_taken', 'A user with this e-mail exists.')
    const user = await db.transaction().execute(async (tx) => {
      const created = await insertUser(tx, { email, name, role, passwordHash: await hashPassword(password) })
      await audit(tx, request, { action: 'user.created', target: `user:${created.id}`, detail: { role } })
      return created
    })
    return reply.code(201).send(presentUser(user))
  })

  app.patch(
    '/api/users/:id',
    { config: { access }, schema: { tags: ['users'], params: idParams, body: updateUserBody, response: { 200: userSchema } } },
    async (request) => {
      const user = await findUserById(db, request.params.id)
      if (!user) throw notFound('User')
      const { name, role, active, password } = request.body
      const passwordHash = password !== undefined ? await hashPassword(password) : undefined
      await db.transaction().execute(async (tx) => {
        await updateUser(tx, user.id, {
          ...(name !== undefined ? { name } : {}),
          ...(role !== undefined ? { role } : {}),
          ...(active !== undefined ? { active: active ? 1 : 0 } : {}),
          ...(passwordHash !== undefined ? { password_hash: passwordHash } : {}),
        })
        // A changed role, password or deactivation ends the user's sessions at once.
        if (role !== undefined || password !== undefined || active === false) await revokeUserSessions(tx, user.id)
        // What changed, never the password itself.
        await audit(tx, request, { action: 'user.changed', target: `user:${user.id}`, detail: { ...(name !== undefined ? { name: true } : {}), ...(role !== undefined ? { role } : {}), ...(active !== undefined ? { active } : {}), ...(password !== undefined ? { passwordSet: true } : {}) } })
      })
      return presentUser((await findUserById(db, user.id))!)
    },
  )

  // For someone who lost their phone and their recovery codes: they sign in with the password alone
  // and set up the app again. Their sessions end, as with a password reset.
  app.delete('/api/users/:id/two-factor', { config: { access }, schema: { tags: ['users'], params: idParams, response: { 204: z.null() } } }, async (request, reply) => {
    const user = await findUserById(db, request.params.id)
    if (!user) throw notFound('User')
    if (user.totp_secret || user.totp_pending) {
      await db.transaction().execute(async (tx) => {
        await disableTwoFactor(tx, user.id)
        await revokeUserSessions(tx, user.id)
        await audit(tx, request, { action: 'user.two_factor_reset', target: `user:${user.id}` })
      })
    }
    return reply.code(204).send(null)
  })

  // Whom the company requires to use two-factor login. An admin who would be covered turns on their
  // own first: the rule must not start by locking its author into the setup page.
  const security = z.object({ requireTwoFactor: requireTwoFactorSchema })
  app.get('/api/settings/security', { config: { access }, schema: { tags: ['settings'], response: { 200: security } } }, async () => ({ requireTwoFactor: await readTwoFactorPolicy(db) }))
  app.put('/api/settings/security', { config: { access }, schema: { tags: ['settings'], body: security, response: { 200: security } } }, async (request) => {
    const { requireTwoFactor } = request.body
    const auth = request.auth!
    if (auth.kind === 'session' && auth.user.totp_enabled_at === null && policyCovers(requireTwoFactor, auth.role)) {
      throw conflict('settings.two_factor_own_first', 'Turn on your own two-factor login (Mein Konto) before requiring it.')
    }
    await db.transaction().execute(async (tx) => {
      await putSetting(tx, TWO_FACTOR_POLICY_KEY, requireTwoFactor, auth.user?.id ?? null)
      await audit(tx, request, { action: 'settings.security_changed', target: 'settings:security', detail: { requireTwoFactor } })
    })
    rememberTwoFactorPolicy(db, requireTwoFactor)
    return { requireTwoFactor }
  })

  app.get('/api/tokens', { config: { access }, schema: { tags: ['tokens'], response: { 200: list(tokenSchema) } } }, async () => ({
    items: (await listApiTokens(db)).map((t) => ({ id: t.id, name: t.name, role: t.role, createdAt: t.created_at, lastUsedAt: t.last_used_at, revokedAt: t.revoked_at })),
    nextCursor: null,
  }))

  app.post(
    '/api/tokens',
    { config: { access }, schema: { tags: ['tokens'], body: createTokenBody, response: { 201: tokenSchema.extend({ token: z.string() }) } } },
    async (request, reply) => {
      const { token, row } = await db.transaction().execute(async (tx) => {
        const created = await createApiToken(tx, { ...request.body, createdBy: request.auth?.user?.id ?? null })
        await audit(tx, request, { action: 'token.created', target: `token:${created.row.id}`, detail: { role: created.row.role } })
        return created
      })
      return reply.code(201).send({ id: row.id, name: row.name, role: row.role, createdAt: row.created_at, lastUsedAt: null, revokedAt: null, token })
    },
  )

  app.delete('/api/tokens/:id', { config: { access }, schema: { tags: ['tokens'], params: idParams, response: { 204: z.null() } } }, async (request, reply) => {
    await db.transaction().execute(async (tx) => {
      if (!(await revokeApiToken(tx, request.params.id))) throw notFound('Active token')
      await audit(tx, request, { action: 'token.revoked', target: `token:${request.params.id}` })
    })
    return reply.code(204).send(null)
  })
}
