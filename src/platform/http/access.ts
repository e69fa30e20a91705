import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Db } from '../../db/database.js'
import type { Role, UserRow } from '../../db/schema.js'
import { resolveApiToken } from '../../modules/auth/api-tokens.js'
import { resolveSession, SESSION_COOKIE } from '../../modules/auth/sessions.js'
import { mustSetUpTwoFactor } from '../../modules/auth/two-factor-policy.js'
import { AppError, forbidden, unauthorized } from '../errors.js'
import { safeEqual } from '../ids.js'

/** Who may call a route: `public` (no authentication) or the roles allowed. */
export type Access = 'public' | readonly Role[]

export type Auth =
  | { kind: 'session'; role: Role; user: UserRow; sessionId: string; csrfToken: string }
  | { kind: 'token'; role: Role; tokenId: string; tokenName: string; user: undefined }

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route must declare it; registration fails otherwise. */
    access?: Access
  }
  interface FastifyRequest {
    auth: Auth | undefined
  }
}

export const ALL_ROLES: readonly Role[] = ['admin', 'agent', 'auditor']
export const STAFF: readonly Role[] = ['admin', 'agent']
export const ADMIN: readonly Role[] = ['admin']

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export type RouteAccess = { method: string; url: string; access: Access }
const routeTables = new WeakMap<FastifyInstance, RouteAccess[]>()

/** Every route of an app with its declared access (for the test that walks them all). */
export const routeTableOf = (app: FastifyInstance): readonly RouteAccess[] => routeTables.get(app) ?? []

/**
 * Installs authentication and authorisation for every route. A route without `config.access`
 * refuses to register, so no route can be reachable by accident. Runs in `onRequest`, before the
 * body is read: an unauthenticated caller learns nothing about validation.
 */
export function installAccessControl(app: FastifyInstance, db: Db): void {
  app.decorateRequest('auth', undefined)
  const table: RouteAccess[] = []
  routeTables.set(app, table)

  app.addHook('onRoute', (route) => {
    const access = route.config?.access
    if (access === undefined) throw new Error(`route ${route.method} ${route.url} declares no access (config.access)`)
    for (const method of [route.method].flat()) table.push({ method, url: route.url, access })
  })

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access
    if (access === undefined || access === 'public') return
    const auth = await authenticate(request, db)
    if (!auth) throw unauthorized()
    request.auth = auth
    if (!access.includes(auth.role)) throw forbidden()
    if (auth.kind === 'session' && !SAFE_METHODS.has(request.method)) {
      const sent = request.headers['x-csrf-token']
      if (typeof sent !== 'string' || !safeEqual(sent, auth.csrfToken)) {
        throw new AppError('auth.csrf_failed', 403, 'Missing or wrong X-CSRF-Token header.')
      }
    }
    // Someone the company requires to use two-factor login, who has not set it up, may only do that
    // (and the rest of their own account under /api/auth/).
    if (auth.kind === 'session' && !(request.routeOptions.url ?? '').startsWith('/api/auth/') && (await mustSetUpTwoFactor(db, auth.user))) {
      throw new AppError('auth.two_factor_setup_required', 403, 'Two-factor login is required for your account: set it up under Mein Konto (POST /api/auth/two-factor/setup) first.')
    }
  })
}

async function authenticate(request: FastifyRequest, db: Db): Promise<Auth | undefined> {
  const header = request.headers.authorization
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header)
    const token = m ? await resolveApiToken(db, m[1]!) : undefined
    return token ? { kind: 'token', role: token.role, tokenId: token.id, tokenName: token.name, user: undefined } : undefined
  }
  const cookie = request.cookies[SESSION_COOKIE]
  if (!cookie) return undefined
  const session = await resolveSession(db, cookie)
  return session
    ? { kind: 'session', role: session.user.role, user: session.user, sessionId: session.sessionId, csrfToken: session.csrfToken }
    : undefined
}
