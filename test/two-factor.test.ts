import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECT, serverDatabaseEnv, startTestServer, type Caller, type TestServer } from './helpers.js'
import { runCli } from './process.js'

type Headers = Record<string, string>

describe(`${DIALECT}: two-factor login with an authenticator app and recovery codes`, () => {
  let server: TestServer
  let admin: Caller
  beforeAll(async () => {
    server = await startTestServer()
    admin = await server.login('admin')
  })
  afterAll(() => server.stop())

  let ip = 0
  /** Each login from its own address, so the per-address throttle stays out of tests that are not about it. */
  const login = (email: string, password: string, code?: string, remoteAddress = `10.9.0.${++ip}`) =>
    server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password, ...(code === undefined ? {} : { code }) }, remoteAddress })
  const sessionOf = (res: Awaited<ReturnType<typeof login>>): Headers => ({ cookie: `postfach_session=${res.cookies[0]!.value}`, 'x-csrf-token': res.json().csrfToken })
  const call = (headers: Headers, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    server.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }), remoteAddress: '10.8.0.1' })
  const codeAt = (secret: string, offsetSteps = 0) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSteps * 30_000 })
  const userRow = (email: string) => server.database.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow()
  const auditOf = async (email: string, action: string) =>
    server.database.db.selectFrom('audit_log').select(['actor_id', 'detail']).where('target', '=', `user:${(await userRow(email)).id}`).where('action', '=', action).execute()

  async function newPerson(email: string, role: 'agent' | 'auditor' = 'agent') {
    expect((await admin.inject({ method: 'POST', url: '/api/users', payload: { email, name: email.split('@')[0], role, password: 'first-password-12' } })).statusCode).toBe(201)
    const res = await login(email, 'first-password-12')
    expect(res.statusCode).toBe(200)
    return sessionOf(res)
  }

  /** Sets up the app for a person; returns the secret as the app would hold it and the recovery codes. */
  async function turnOn(session: Headers) {
    const setup = await call(session, 'POST', '/api/auth/two-factor/setup', { currentPassword: 'first-password-12' })
    expect(setup.statusCode).toBe(200)
    const { secret } = setup.json()
    const enabled = await call(session, 'POST', '/api/auth/two-factor/enable', { code: codeAt(secret) })
    expect(enabled.statusCode).toBe(200)
    return { secret, recoveryCodes: enabled.json().recoveryCodes as string[] }
  }

  it('is set up with the password and a code from the app; login then asks for the code, and each code works once', async () => {
    const here = await newPerson('zwei@example.com', 'auditor')
    const elsewhere = sessionOf(await login('zwei@example.com', 'first-password-12'))
    expect((await call(here, 'GET', '/api/auth/two-factor')).json()).toEqual({ enabled: false, enabledAt: null, recoveryCodesLeft: 0 })

    // The password first: a browser left open does not let a passer-by lock the person out.
    const wrong = await call(here, 'POST', '/api/auth/two-factor/setup', { currentPassword: 'not-my-password' })
    expect(wrong.statusCode).toBe(400)
    expect(wrong.json().field ?? wrong.body).toContain('currentPassword')
    expect((await userRow('zwei@example.com')).totp_pending).toBeNull()

    const setup = await call(here, 'POST', '/api/auth/two-factor/setup', { currentPassword: 'first-password-12' })
    expect(setup.statusCode).toBe(200)
    const { secret, uri } = setup.json()
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(uri).toBe(`otpauth://totp/Postfach:zwei%40example.com?issuer=Postfach&secret=${secret}&algorithm=SHA1&digits=6&period=30`)
    // Not yet required, and the secret is sealed at rest.
    expect((await login('zwei@example.com', 'first-password-12')).statusCode).toBe(200)
    const pending = (await userRow('zwei@example.com')).totp_pending!
    expect(pending).toMatch(/^v1:/)
    expect(pending).not.toContain(secret)

    // A wrong code does not switch it on.
    const badCode = String((Number(codeAt(secret)) + 1) % 1_000_000).padStart(6, '0')
    const refused = await call(here, 'POST', '/api/auth/two-factor/enable', { code: badCode })
    expect(refused.statusCode).toBe(400)
    expect(refused.headers['content-type']).toContain('application/problem+json')
    expect(refused.json().type).toMatch(/two-factor-invalid$/)
    expect((await userRow('zwei@example.com')).totp_enabled_at).toBeNull()

    const enabled = await call(here, 'POST', '/api/auth/two-factor/enable', { code: codeAt(secret) })
    expect(enabled.statusCode).toBe(200)
    const codes: string[] = enabled.json().recoveryCodes
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    for (const c of codes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/)
    expect((await call(here, 'GET', '/api/auth/two-factor')).json()).toMatchObject({ enabled: true, recoveryCodesLeft: 10 })
    expect((await call(here, 'GET', '/api/auth/me')).json().user.twoFactor).toBe(true)
    // The other browser had only the password: signed out. This one stays.
    expect((await call(elsewhere, 'GET', '/api/auth/me')).statusCode).toBe(401)
    const stored = await userRow('zwei@example.com')
    expect(stored.totp_secret).toMatch(/^v1:/)
    expect(JSON.stringify(await server.database.db.selectFrom('recovery_codes').selectAll().execute())).not.toContain(codes[0]!.replace('-', ''))

    // The password alone no longer signs in; it says what is missing, and sets no cookie.
    const missing = await login('zwei@example.com', 'first-password-12')
    expect(missing.statusCode).toBe(401)
    expect(missing.json().type).toMatch(/two-factor-required$/)
    expect(missing.cookies).toHaveLength(0)
    // A wrong password with a right code says only that the password is wrong.
    const wrongPassword = await login('zwei@example.com', 'not-my-password', codeAt(secret, 1))
    expect(wrongPassword.statusCode).toBe(401)
    expect(wrongPassword.json().type).not.toMatch(/two-factor/)
    // The code that switched it on was used; the next one works once; an older one never.
    expect((await login('zwei@example.com', 'first-password-12', codeAt(secret))).json().type).toMatch(/two-factor-invalid$/)
    const next = codeAt(secret, 1)
    const ok = await login('zwei@example.com', 'first-password-12', next)
    expect(ok.statusCode).toBe(200)
    expect(ok.json().user.twoFactor).toBe(true)
    expect((await login('zwei@example.com', 'first-password-12', next)).statusCode).toBe(401)
    expect((await login('zwei@example.com', 'first-password-12', codeAt(secret, -1))).statusCode).toBe(401)
    expect(await auditOf('zwei@example.com', 'user.two_factor_enabled')).toEqual([{ actor_id: stored.id, detail: '{}' }])
  })

  it('takes each recovery code once, typed any way, and new codes replace the old ones', async () => {
    const session = await newPerson('wieder@example.com')
    const { recoveryCodes } = await turnOn(session)
    const id = (await userRow('wieder@example.com')).id
    const typed = ` ${recoveryCodes[3]!.toUpperCase().replace('-', ' ')} `
    expect((await login('wieder@example.com', 'first-password-12', typed)).statusCode).toBe(200)
    expect((await login('wieder@example.com', 'first-password-12', recoveryCodes[3])).statusCode).toBe(401)
    expect(await auditOf('wieder@example.com', 'user.recovery_code_used')).toEqual([{ actor_id: id, detail: JSON.stringify({ left: 9 }) }])
    expect((await call(session, 'GET', '/api/auth/two-factor')).json().recoveryCodesLeft).toBe(9)

    expect((await call(session, 'POST', '/api/auth/two-factor/recovery-codes', { currentPassword: 'wrong-password-1' })).statusCode).toBe(400)
    expect((await login('wieder@example.com', 'first-password-12', recoveryCodes[4])).statusCode).toBe(200) // still the old set
    const renewed = await call(session, 'POST', '/api/auth/two-factor/recovery-codes', { currentPassword: 'first-password-12' })
    expect(renewed.statusCode).toBe(200)
    const fresh: string[] = renewed.json().recoveryCodes
    expect(fresh).toHaveLength(10)
    expect((await login('wieder@example.com', 'first-password-12', recoveryCodes[5])).statusCode).toBe(401)
    expect((await login('wieder@example.com', 'first-password-12', fresh[0])).statusCode).toBe(200)
    expect(await auditOf('wieder@example.com', 'user.recovery_codes_renewed')).toHaveLength(1)
  })

  it('counts wrong codes like wrong passwords: the account is throttled, even for the right code', async () => {
    const session = await newPerson('rate@example.com')
    const { secret } = await turnOn(session)
    for (let i = 0; i < 5; i++) expect((await login('rate@example.com', 'first-password-12', `00000${i}`)).statusCode).toBe(401)
    const res = await login('rate@example.com', 'first-password-12', codeAt(secret, 1))
    expect(res.statusCode).toBe(429)
    expect(res.headers['retry-after']).toBeDefined()
  })

  it('is switched off with the password; an admin resets it for someone who lost the phone', async () => {
    const session = await newPerson('aus@example.com')
    await turnOn(session)
    expect((await call(session, 'POST', '/api/auth/two-factor/disable', { currentPassword: 'wrong-password-1' })).statusCode).toBe(400)
    expect((await userRow('aus@example.com')).totp_secret).not.toBeNull()
    expect((await call(session, 'POST', '/api/auth/two-factor/disable', { currentPassword: 'first-password-12' })).statusCode).toBe(204)
    expect((await login('aus@example.com', 'first-password-12')).statusCode).toBe(200)
    expect(await server.database.db.selectFrom('recovery_codes').select('id').where('user_id', '=', (await userRow('aus@example.com')).id).execute()).toEqual([])
    expect(await auditOf('aus@example.com', 'user.two_factor_disabled')).toHaveLength(1)

    const lost = await newPerson('verloren@example.com')
    await turnOn(lost)
    const { id } = await userRow('verloren@example.com')
    const agent = await server.login('agent')
    expect((await agent.inject({ method: 'DELETE', url: `/api/users/${id}/two-factor` })).statusCode).toBe(403)
    expect((await admin.inject({ method: 'DELETE', url: '/api/users/no-such-user/two-factor' })).statusCode).toBe(404)
    expect((await admin.inject({ method: 'DELETE', url: `/api/users/${id}/two-factor`, headers: { 'x-csrf-token': '' } })).statusCode).toBe(403)
    expect((await userRow('verloren@example.com')).totp_secret).not.toBeNull()
    expect((await admin.inject({ method: 'DELETE', url: `/api/users/${id}/two-factor` })).statusCode).toBe(204)
    expect((await call(lost, 'GET', '/api/auth/me')).statusCode).toBe(401) // their sessions ended
    expect((await login('verloren@example.com', 'first-password-12')).statusCode).toBe(200)
    const users = (await admin.inject({ method: 'GET', url: '/api/users' })).json().items as { email: string; twoFactor: boolean }[]
    expect(users.find((u) => u.email === 'verloren@example.com')?.twoFactor).toBe(false)
    expect(await auditOf('verloren@example.com', 'user.two_factor_reset')).toEqual([{ actor_id: admin.userId, detail: '{}' }])
  })

  it('is reset with the CLI when no other admin can (the only admin lost the phone)', async () => {
    const session = await newPerson('allein@example.com')
    await turnOn(session)
    const env = serverDatabaseEnv(server)
    const unknown = await runCli(['user', 'reset-two-factor', '--email', 'niemand@example.com'], env)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('there is no user niemand@example.com')
    const reset = await runCli(['user', 'reset-two-factor', '--email', 'allein@example.com'], env)
    expect(reset.code, reset.stderr).toBe(0)
    expect(reset.stdout).toContain('Two-factor login of allein@example.com is off')
    expect((await call(session, 'GET', '/api/auth/me')).statusCode).toBe(401)
    expect((await login('allein@example.com', 'first-password-12')).statusCode).toBe(200)
    const [entry] = await server.database.db.selectFrom('audit_log').select(['actor_kind', 'detail']).where('action', '=', 'user.two_factor_reset').where('target', '=', `user:${(await userRow('allein@example.com')).id}`).execute()
    expect(entry).toEqual({ actor_kind: 'system', detail: JSON.stringify({ via: 'cli' }) })
    expect((await runCli(['user', 'reset-two-factor', '--email', 'allein@example.com'], env)).stdout).toContain('nothing changed')
  })

  it('refuses malformed, oversized, out-of-order, token and unauthenticated requests, and nothing changes', async () => {
    const session = await newPerson('fehler@example.com')
    const token = (await server.token('admin')).headers
    const cases: [Headers, string, unknown, number][] = [
      [session, '/api/auth/two-factor/enable', { code: '123456' }, 409], // no setup started
      [session, '/api/auth/two-factor/disable', { currentPassword: 'first-password-12' }, 409], // not on
      [session, '/api/auth/two-factor/recovery-codes', { currentPassword: 'first-password-12' }, 409],
      [session, '/api/auth/two-factor/setup', {}, 400],
      [session, '/api/auth/two-factor/setup', { currentPassword: 'x'.repeat(20_000) }, 413],
      [{ cookie: session.cookie! }, '/api/auth/two-factor/setup', { currentPassword: 'first-password-12' }, 403], // no CSRF token
      [{}, '/api/auth/two-factor/setup', { currentPassword: 'first-password-12' }, 401],
      [token, '/api/auth/two-factor/setup', { currentPassword: 'root-password-123' }, 400], // a token has no own login
    ]
    for (const [headers, url, payload, status] of cases) {
      const res = await call(headers, 'POST', url, payload)
      expect(res.statusCode, `${url} ${JSON.stringify(payload).slice(0, 60)}`).toBe(status)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
    expect((await userRow('fehler@example.com')).totp_pending).toBeNull()

    await call(session, 'POST', '/api/auth/two-factor/setup', { currentPassword: 'first-password-12' })
    for (const code of ['12345', 'abcdef', '1234567', '']) expect((await call(session, 'POST', '/api/auth/two-factor/enable', { code })).statusCode).toBe(400)
    expect((await userRow('fehler@example.com')).totp_enabled_at).toBeNull()
    expect((await login('fehler@example.com', 'first-password-12', 'x'.repeat(33))).statusCode).toBe(400)
    await turnOn(session)
    expect((await call(session, 'POST', '/api/auth/two-factor/setup', { currentPassword: 'first-password-12' })).statusCode).toBe(409)
  })

  it('is required by the company for admins or everyone: who has not set it up may only do that; tokens are not affected', async () => {
    const security = (payload?: object, who: Caller = admin) => who.inject({ method: payload ? 'PUT' : 'GET', url: '/api/settings/security', ...(payload ? { payload } : {}) })
    expect((await security()).json()).toEqual({ requireTwoFactor: 'nobody' })
    // The admin asking has no second factor yet: refused, nothing changes.
    const own = await security({ requireTwoFactor: 'admins' })
    expect(own.statusCode).toBe(409)
    expect(own.json().type).toMatch(/two-factor-own-first$/)
    expect((await security()).json()).toEqual({ requireTwoFactor: 'nobody' })
    for (const bad of [{ requireTwoFactor: 'some' }, {}, { requireTwoFactor: null }]) expect((await security(bad)).statusCode).toBe(400)
    expect((await security({ requireTwoFactor: 'everyone' }, await server.login('agent'))).statusCode).toBe(403)

    const adminSession = admin.headers as Headers
    const setup = await call(adminSession, 'POST', '/api/auth/two-factor/setup', { currentPassword: 'correct-horse-battery' })
    expect((await call(adminSession, 'POST', '/api/auth/two-factor/enable', { code: codeAt(setup.json().secret) })).statusCode).toBe(200)
    expect((await security({ requireTwoFactor: 'everyone' })).json()).toEqual({ requireTwoFactor: 'everyone' })
    expect(await server.database.db.selectFrom('audit_log').select('detail').where('action', '=', 'settings.security_changed').execute()).toEqual([{ detail: JSON.stringify({ requireTwoFactor: 'everyone' }) }])

    // A colleague without it signs in, is told so, and may do nothing but set it up.
    expect((await admin.inject({ method: 'POST', url: '/api/users', payload: { email: 'pflicht@example.com', name: 'Pflicht', role: 'agent', password: 'first-password-12' } })).statusCode).toBe(201)
    const signedIn = await login('pflicht@example.com', 'first-password-12')
    expect(signedIn.json().twoFactorRequired).toBe(true)
    const session = sessionOf(signedIn)
    const inbox = await call(session, 'GET', '/api/conversations')
    expect(inbox.statusCode).toBe(403)
    expect(inbox.json().type).toMatch(/two-factor-setup-required$/)
    expect((await call(session, 'POST', '/api/labels', { name: 'Neu', color: '#123456' })).statusCode).toBe(403)
    expect((await call(session, 'GET', '/api/auth/me')).json().twoFactorRequired).toBe(true)
    expect((await (await server.token('agent')).inject({ method: 'GET', url: '/api/conversations' })).statusCode).toBe(200)
    await turnOn(session)
    expect((await call(session, 'GET', '/api/conversations')).statusCode).toBe(200)
    expect((await call(session, 'GET', '/api/auth/me')).json().twoFactorRequired).toBe(false)

    // Only admins: agents without it work again.
    expect((await security({ requireTwoFactor: 'admins' })).statusCode).toBe(200)
    const agent = await server.login('agent')
    expect((await agent.inject({ method: 'GET', url: '/api/conversations' })).statusCode).toBe(200)
    expect((await security({ requireTwoFactor: 'nobody' })).statusCode).toBe(200)
  })
})
