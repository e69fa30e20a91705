import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../platform/errors.js'
import { ALL_ROLES } from '../../platform/http/access.js'
import { audit } from '../privacy/audit.js'
import type { AuthRoutesOptions } from './auth.routes.js'
import { passwordConfirmBody, recoveryCodesResponse, twoFactorCodeBody, twoFactorSetup, twoFactorStatus } from './auth.schemas.js'
import { confirmCurrentPassword, ownSession } from './own-account.js'
import { revokeUserSessions } from './sessions.js'
import { disableTwoFactor } from './two-factor.js'

/**
 * A person's own two-factor login: set up with an authenticator app (password first, then a code
 * from the app confirms the scan), recovery codes shown once, switched off with the password.
 */
export const twoFactorRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (base, { db, throttle, twoFactor }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const config = { access: ALL_ROLES }
  const tags = ['auth']
  const bodyLimit = 16 * 1024

  app.get('/api/auth/two-factor', { config, schema: { tags, response: { 200: twoFactorStatus } } }, async (request) => {
    const { user } = ownSession(request)
    return { enabled: user.totp_enabled_at !== null, enabledAt: user.totp_enabled_at, recoveryCodesLeft: await twoFactor.recoveryCodesLeft(db, user.id) }
  })

  app.post('/api/auth/two-factor/setup', { config, bodyLimit, schema: { tags, body: passwordConfirmBody, response: { 200: twoFactorSetup } } }, async (request) => {
    const { user } = ownSession(request)
    if (user.totp_secret) throw new AppError('auth.two_factor_on', 409, 'Two-factor login is on already; switch it off first to use another app.')
    await confirmCurrentPassword(throttle, request, user, request.body.currentPassword)
    return twoFactor.begin(db, user)
  })

  // The code proves the app holds the secret; from now on login asks for it, and the person's other
  // browsers (signed in with the password alone) are signed out.
  app.post('/api/auth/two-factor/enable', { config, bodyLimit, schema: { tags, body: twoFactorCodeBody, response: { 200: recoveryCodesResponse } } }, async (request) => {
    const auth = ownSession(request)
    const { user } = auth // read with the session for this request: the pending secret from setup is in it
    if (user.totp_secret) throw new AppError('auth.two_factor_on', 409, 'Two-factor login is on already.')
    if (!user.totp_pending) throw new AppError('auth.two_factor_not_started', 409, 'Start the setup first (POST /api/auth/two-factor/setup).')
    const recoveryCodes = await db.transaction().execute(async (tx) => {
      const codes = await twoFactor.confirm(tx, user, request.body.code)
      if (!codes) throw new AppError('auth.two_factor_invalid', 400, 'The code does not match; check the time on the phone and try the next one.', { details: { field: 'code' } })
      await revokeUserSessions(tx, user.id, auth.sessionId)
      await audit(tx, request, { action: 'user.two_factor_enabled', target: `user:${user.id}` })
      return codes
    })
    return { recoveryCodes }
  })

  app.post('/api/auth/two-factor/recovery-codes', { config, bodyLimit, schema: { tags, body: passwordConfirmBody, response: { 200: recoveryCodesResponse } } }, async (request) => {
    const { user } = ownSession(request)
    if (!user.totp_secret) throw new AppError('auth.two_factor_off', 409, 'Two-factor login is off; there are no recovery codes.')
    await confirmCurrentPassword(throttle, request, user, request.body.currentPassword)
    const recoveryCodes = await db.transaction().execute(async (tx) => {
      const codes = await twoFactor.replaceRecoveryCodes(tx, user.id)
      await audit(tx, request, { action: 'user.recovery_codes_renewed', target: `user:${user.id}` })
      return codes
    })
    return { recoveryCodes }
  })

  app.post('/api/auth/two-factor/disable', { config, bodyLimit, schema: { tags, body: passwordConfirmBody, response: { 204: z.null() } } }, async (request, reply) => {
    const { user } = ownSession(request)
    if (!user.totp_secret) throw new AppError('auth.two_factor_off', 409, 'Two-factor login is off already.')
    await confirmCurrentPassword(throttle, request, user, request.body.currentPassword)
    await db.transaction().execute(async (tx) => {
      await disableTwoFactor(tx, user.id)
      await audit(tx, request, { action: 'user.two_factor_disabled', target: `user:${user.id}` })
    })
    return reply.code(204).send(null)
  })
}
