import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECT, startTestServer, type TestServer } from './helpers.js'

describe(`${DIALECT}: accounts, sessions, CSRF and API tokens`, () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.stop())

  const login = (email: string, password: string, ip = '10.0.0.1') =>
    server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password }, remoteAddress: ip })

  it('creates the first admin from POSTFACH_ADMIN_* and stores the password as argon2id', async () => {
    const admin = await server.database.db.selectFrom('users').selectAll().where('email', '=', 'root@example.com').executeTakeFirstOrThrow()
    expect(admin.role).toBe('admin')
    expect(admin.password_hash).toMatch(/^\$argon2id\$/)
  })

  it('logs in with an httpOnly SameSite session cookie and answers { user, csrfToken }', async () => {
    const res = await login('ROOT@example.com', 'root-password-123')
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.user).toMatchObject({ email: 'root@example.com', role: 'admin', active: true })
    expect(body.user.passwordHash).toBeUndefined()
    expect(body.csrfToken).toMatch(/^[\w-]{40,}$/)
    const cookie = res.cookies.find((c) => c.name === 'postfach_session')!
    expect(cookie.httpOnly).toBe(true)
    expect(cookie.sameSite).toBe('Strict')
    // Only a hash of the cookie is stored.
    const sessions = await server.database.db.selectFrom('sessions').select('id').execute()
    expect(sessions.map((s) => s.id)).not.toContain(cookie.value)
  })

  it('refuses a wrong password or unknown user with the same 401', async () => {
    const wrong = await login('root@example.com', 'nope', '10.0.0.2')
    const unknown = await login('ghost@example.com', 'nope', '10.0.0.2')
    expect(wrong.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    expect(wrong.json().detail).toBe(unknown.json().detail)
    expect(wrong.cookies).toHaveLength(0)
  })

  it('rejects malformed and oversized login bodies with 400 and 413', async () => {
    expect((await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'not-an-email', password: 'x' } })).statusCode).toBe(400)
    expect((await server.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"email":' })).statusCode).toBe(400)
    // A NUL character: PostgreSQL's text cannot hold it (a 500 there before the guard); the same 400 on both engines.
    const nul = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'admin\u0000@example.com', password: 'x' } })
    expect(nul.statusCode).toBe(400)
    expect(nul.json().type).toMatch(/nul-character$/)
    const big = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'a@b.de', password: 'x'.repeat(20_000) } })
    expect(big.statusCode).toBe(413)
    expect(big.headers['content-type']).toContain('application/problem+json')
  })

  it('throttles failed logins per account (429 with Retry-After), even with the right password', async () => {
    const caller = await server.login('agent', 'throttled@example.com')
    void caller
    for (let i = 0; i < 5; i++) expect((await login('throttled@example.com', 'wrong-password', `10.1.0.${i}`)).statusCode).toBe(401)
    const blocked = await login('throttled@example.com', 'correct-horse-battery', '10.1.0.99')
    expect(blocked.statusCode).toBe(429)
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('throttles failed logins per client address across accounts', async () => {
    for (let i = 0; i < 20; i++) await login(`nobody${i}@example.com`, 'wrong', '10.2.0.1')
    expect((await login('root@example.com', 'root-password-123', '10.2.0.1')).statusCode).toBe(429)
    expect((await login('root@example.com', 'root-password-123', '10.2.0.2')).statusCode).toBe(200)
  })

  it('requires the CSRF token on cookie-authenticated state changes, not on reads', async () => {
    const admin = await server.login('admin')
    const cookieOnly = { cookie: admin.headers.cookie! }
    const payload = { name: 'crm', role: 'agent' }
    const noToken = await server.app.inject({ method: 'POST', url: '/api/tokens', headers: cookieOnly, payload })
    expect(noToken.statusCode).toBe(403)
    expect(noToken.json().type).toMatch(/csrf-failed$/)
    const wrongToken = await server.app.inject({ method: 'POST', url: '/api/tokens', headers: { ...cookieOnly, 'x-csrf-token': 'x'.repeat(43) }, payload })
    expect(wrongToken.statusCode).toBe(403)
    expect((await server.app.inject({ method: 'GET', url: '/api/tokens', headers: cookieOnly })).statusCode).toBe(200)
    expect((await admin.inject({ method: 'POST', url: '/api/tokens', payload })).statusCode).toBe(201)
  })

  it('logs out and revokes the session server-side', async () => {
    const agent = await server.login('agent')
    expect((await agent.inject({ method: 'GET', url: '/api/auth/me' })).statusCode).toBe(200)
    expect((await agent.inject({ method: 'POST', url: '/api/auth/logout' })).statusCode).toBe(204)
    expect((await agent.inject({ method: 'GET', url: '/api/auth/me' })).statusCode).toBe(401)
  })

  it('issues API tokens (admin only), records their last use and honours revocation', async () => {
    const admin = await server.login('admin')
    const created = await admin.inject({ method: 'POST', url: '/api/tokens', payload: { name: 'CRM sync', role: 'agent' } })
    expect(created.statusCode).toBe(201)
    const { id, token } = created.json()
    expect(token).toMatch(/^pf_/)
    const stored = await server.database.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    expect(stored.token_hash).not.toContain(token)
    expect(stored.last_used_at).toBeNull()

    const bearer = { authorization: `Bearer ${token}` }
    expect((await server.app.inject({ method: 'GET', url: '/api/conversations', headers: bearer })).statusCode).toBe(200)
    // Bearer requests need no CSRF token; an agent token cannot administer.
    expect((await server.app.inject({ method: 'GET', url: '/api/users', headers: bearer })).statusCode).toBe(403)
    const used = await server.database.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()
    expect(used.last_used_at).not.toBeNull()

    expect((await admin.inject({ method: 'DELETE', url: `/api/tokens/${id}` })).statusCode).toBe(204)
    expect((await server.app.inject({ method: 'GET', url: '/api/conversations', headers: bearer })).statusCode).toBe(401)
    expect((await admin.inject({ method: 'DELETE', url: `/api/tokens/${id}` })).statusCode).toBe(404)
    const log = await server.database.db.selectFrom('audit_log').select(['action', 'actor_id']).where('target', '=', `token:${id}`).orderBy('at').execute()
    expect(log).toEqual([{ action: 'token.created', actor_id: admin.userId }, { action: 'token.revoked', actor_id: admin.userId }])
  })

  it('lets an admin create, change and deactivate users; deactivation ends their sessions', async () => {
    const admin = await server.login('admin')
    const res = await admin.inject({ method: 'POST', url: '/api/users', payload: { email: 'new.agent@example.com', name: 'Neue Agentin', role: 'agent', password: 'long-enough-password' } })
    expect(res.statusCode).toBe(201)
    const dup = await admin.inject({ method: 'POST', url: '/api/users', payload: { email: 'NEW.agent@example.com', name: 'X', role: 'agent', password: 'long-enough-password' } })
    expect(dup.statusCode).toBe(409)
    const short = await admin.inject({ method: 'POST', url: '/api/users', payload: { email: 'x@example.com', name: 'X', role: 'agent', password: 'short' } })
    expect(short.statusCode).toBe(400)

    const session = await login('new.agent@example.com', 'long-enough-password', '10.3.0.1')
    const cookie = `postfach_session=${session.cookies[0]!.value}`
    expect((await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(200)
    const patched = await admin.inject({ method: 'PATCH', url: `/api/users/${res.json().id}`, payload: { active: false } })
    expect(patched.json().active).toBe(false)
    expect((await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(401)
    expect((await login('new.agent@example.com', 'long-enough-password', '10.3.0.2')).statusCode).toBe(401)
    expect((await admin.inject({ method: 'PATCH', url: '/api/users/unknown', payload: { name: 'x' } })).statusCode).toBe(404)
    // Who may get in is traceable (Art. 32): each change is in the audit log, by whom, without the password.
    expect((await admin.inject({ method: 'PATCH', url: `/api/users/${res.json().id}`, payload: { password: 'reset-by-admin-123', role: 'admin' } })).statusCode).toBe(200)
    const log = await server.database.db.selectFrom('audit_log').select(['action', 'actor_id', 'detail']).where('target', '=', `user:${res.json().id}`).orderBy('at').execute()
    expect(log.map((l) => [l.action, l.actor_id, JSON.parse(l.detail)])).toEqual([
      ['user.created', admin.userId, { role: 'agent' }],
      ['user.changed', admin.userId, { active: false }],
      ['user.changed', admin.userId, { role: 'admin', passwordSet: true }],
    ])
    expect(JSON.stringify(await server.database.db.selectFrom('audit_log').selectAll().execute())).not.toContain('reset-by-admin-123')
  })

  it('lets everyone change their own password with the current one; other browsers are signed out, this one stays', async () => {
    const admin = await server.login('admin')
    const created = await admin.inject({ method: 'POST', url: '/api/users', payload: { email: 'pruefer@example.com', name: 'Prüferin', role: 'auditor', password: 'initial-password-1' } })
    expect(created.statusCode).toBe(201)
    const sign = async (password: string, ip: string) => {
      const res = await login('pruefer@example.com', password, ip)
      return res.statusCode === 200 ? { cookie: `postfach_session=${res.cookies[0]!.value}`, 'x-csrf-token': res.json().csrfToken as string } : res.statusCode
    }
    const here = (await sign('initial-password-1', '10.4.0.1')) as Record<string, string>
    const elsewhere = (await sign('initial-password-1', '10.4.0.2')) as Record<string, string>
    const change = (headers: Record<string, string>, payload: unknown) => server.app.inject({ method: 'POST', url: '/api/auth/password', headers, payload: payload as object, remoteAddress: '10.4.0.1' })
    const hashBefore = (await server.database.db.selectFrom('users').select('password_hash').where('email', '=', 'pruefer@example.com').executeTakeFirstOrThrow()).password_hash

    // Refused, and nothing changes: wrong current password, too short, the same, malformed; without CSRF token, without a session, with a token.
    const refused: [Record<string, string>, unknown, number, string][] = [
      [here, { currentPassword: 'wrong-password-00', newPassword: 'brand-new-password' }, 400, 'currentPassword'],
      [here, { currentPassword: 'initial-password-1', newPassword: 'short' }, 400, 'newPassword'],
      [here, { currentPassword: 'initial-password-1', newPassword: 'initial-password-1' }, 400, 'newPassword'],
      [here, { currentPassword: 'initial-password-1' }, 400, 'newPassword'],
      [here, { currentPassword: 'initial-password-1', newPassword: 'x'.repeat(1025) }, 400, 'newPassword'],
      [{ cookie: here.cookie! }, { currentPassword: 'initial-password-1', newPassword: 'brand-new-password' }, 403, 'csrf'],
      [{}, { currentPassword: 'initial-password-1', newPassword: 'brand-new-password' }, 401, ''],
      [(await server.token('admin')).headers, { currentPassword: 'root-password-123', newPassword: 'brand-new-password' }, 400, 'API token'],
    ]
    for (const [headers, payload, code, says] of refused) {
      const res = await change(headers, payload)
      expect(res.statusCode, JSON.stringify(payload)).toBe(code)
      expect(res.body.toLowerCase()).toContain(says.toLowerCase())
    }
    expect((await server.database.db.selectFrom('users').select('password_hash').where('email', '=', 'pruefer@example.com').executeTakeFirstOrThrow()).password_hash).toBe(hashBefore)

    expect((await change(here, { currentPassword: 'initial-password-1', newPassword: 'brand-new-password' })).statusCode).toBe(204)
    expect((await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: here })).statusCode).toBe(200)
    expect((await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: elsewhere })).statusCode).toBe(401)
    expect(await sign('initial-password-1', '10.4.0.3')).toBe(401)
    expect(typeof (await sign('brand-new-password', '10.4.0.4'))).toBe('object')
    const stored = (await server.database.db.selectFrom('users').select('password_hash').where('email', '=', 'pruefer@example.com').executeTakeFirstOrThrow()).password_hash
    expect(stored).toMatch(/^\$argon2id\$/)
    const log = await server.database.db.selectFrom('audit_log').select(['action', 'actor_id']).where('target', '=', `user:${created.json().id}`).where('action', '=', 'user.password_changed').execute()
    expect(log).toEqual([{ action: 'user.password_changed', actor_id: created.json().id }])
  })

  it('lists my own live sessions and signs out another one; never someone else’s, never this one by mistake', async () => {
    const root = async (agent: string) => {
      const res = await server.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'user-agent': agent }, payload: { email: 'sitzungen@example.com', password: 'session-password-1' }, remoteAddress: '10.6.0.1' })
      return { cookie: `postfach_session=${res.cookies[0]!.value}`, 'x-csrf-token': res.json().csrfToken as string }
    }
    const admin = await server.login('admin')
    expect((await admin.inject({ method: 'POST', url: '/api/users', payload: { email: 'sitzungen@example.com', name: 'Sitzung', role: 'agent', password: 'session-password-1' } })).statusCode).toBe(201)
    const laptop = await root('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36')
    const phone = await root('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1')
    const sessions = async (headers: Record<string, string>) => (await server.app.inject({ method: 'GET', url: '/api/auth/sessions', headers })).json().items as { id: string; userAgent: string; current: boolean }[]
    const mine = await sessions(laptop)
    expect(mine).toHaveLength(2)
    expect(mine.find((s) => s.current)?.userAgent).toContain('Windows')
    const other = mine.find((s) => !s.current)!
    expect(other.id).toMatch(/^[0-9a-f]{16}$/)

    const revoke = (headers: Record<string, string>, id: string) => server.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${id}`, headers })
    expect((await revoke(laptop, mine.find((s) => s.current)!.id)).statusCode).toBe(400) // this one: log out instead
    expect((await revoke(admin.headers, other.id)).statusCode).toBe(404) // someone else's
    expect((await revoke(laptop, 'not-a-session')).statusCode).toBe(400)
    expect((await revoke({ cookie: laptop.cookie! }, other.id)).statusCode).toBe(403) // no CSRF token
    expect((await server.app.inject({ method: 'GET', url: '/api/auth/sessions' })).statusCode).toBe(401)
    expect((await server.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: (await server.token('admin')).headers })).statusCode).toBe(400)
    expect((await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: phone })).statusCode).toBe(200)

    expect((await revoke(laptop, other.id)).statusCode).toBe(204)
    expect((await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: phone })).statusCode).toBe(401)
    expect((await sessions(laptop)).map((s) => s.current)).toEqual([true])
    expect((await revoke(laptop, other.id)).statusCode).toBe(404) // already gone
    const signedOut = await server.database.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'session.signed_out').execute()
    expect(signedOut.map((l) => JSON.parse(l.detail))).toEqual([{ session: other.id }])
  })

  it('signs out every other browser of mine at once, and only mine', async () => {
    const admin = await server.login('admin')
    expect((await admin.inject({ method: 'POST', url: '/api/users', payload: { email: 'ueberall@example.com', name: 'Überall', role: 'agent', password: 'everywhere-pass-1' } })).statusCode).toBe(201)
    const signIn = async (ip: string) => {
      const res = await login('ueberall@example.com', 'everywhere-pass-1', ip)
      return { cookie: `postfach_session=${res.cookies[0]!.value}`, 'x-csrf-token': res.json().csrfToken as string }
    }
    const [here, laptop, phone] = [await signIn('10.8.1.1'), await signIn('10.8.1.2'), await signIn('10.8.1.3')]
    const me = (headers: Record<string, string>) => server.app.inject({ method: 'GET', url: '/api/auth/me', headers }).then((r) => r.statusCode)
    const all = (headers: Record<string, string>) => server.app.inject({ method: 'DELETE', url: '/api/auth/sessions', headers })
    expect((await all({ cookie: here.cookie! })).statusCode).toBe(403) // no CSRF token
    expect((await all({})).statusCode).toBe(401)
    expect((await all((await server.token('agent')).headers)).statusCode).toBe(400)
    expect(await me(laptop)).toBe(200)

    const res = await all(here)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ signedOut: 2 })
    expect([await me(here), await me(laptop), await me(phone)]).toEqual([200, 401, 401])
    expect((await admin.inject({ method: 'GET', url: '/api/auth/me' })).statusCode).toBe(200) // someone else's stay
    expect((await all(here)).json()).toEqual({ signedOut: 0 })
    const logged = await server.database.db.selectFrom('audit_log').select('detail').where('action', '=', 'session.signed_out').where('actor_id', '=', (await server.database.db.selectFrom('users').select('id').where('email', '=', 'ueberall@example.com').executeTakeFirstOrThrow()).id).execute()
    expect(logged.map((l) => JSON.parse(l.detail).sessions.length)).toEqual([2])
  })

  it('shows the admin when each person last signed in (null: never), for reviewing who still needs access', async () => {
    const admin = await server.login('admin')
    expect((await admin.inject({ method: 'POST', url: '/api/users', payload: { email: 'nie@example.com', name: 'Nie', role: 'agent', password: 'never-signed-in-1' } })).statusCode).toBe(201)
    expect((await admin.inject({ method: 'POST', url: '/api/users', payload: { email: 'oft@example.com', name: 'Oft', role: 'agent', password: 'signs-in-often-1' } })).statusCode).toBe(201)
    const before = Date.now()
    expect((await login('oft@example.com', 'signs-in-often-1', '10.7.0.1')).statusCode).toBe(200)
    expect((await login('oft@example.com', 'wrong-password-00', '10.7.0.1')).statusCode).toBe(401) // a failed attempt is no login
    const users = (await admin.inject({ method: 'GET', url: '/api/users' })).json().items as { email: string; lastLoginAt: string | null }[]
    expect(users.find((u) => u.email === 'nie@example.com')!.lastLoginAt).toBeNull()
    const last = Date.parse(users.find((u) => u.email === 'oft@example.com')!.lastLoginAt!)
    expect(last).toBeGreaterThanOrEqual(before - 1000)
    expect(last).toBeLessThanOrEqual(Date.now())
  })

  it('throttles guesses of the current password like failed logins', async () => {
    const agent = await server.login('agent')
    for (let i = 0; i < 10; i++) await server.app.inject({ method: 'POST', url: '/api/auth/password', headers: agent.headers, payload: { currentPassword: `guess-number-${i}`, newPassword: 'brand-new-password' }, remoteAddress: '10.5.0.1' })
    const res = await server.app.inject({ method: 'POST', url: '/api/auth/password', headers: agent.headers, payload: { currentPassword: 'correct-horse-battery', newPassword: 'brand-new-password' }, remoteAddress: '10.5.0.1' })
    expect(res.statusCode).toBe(429)
    expect(res.headers['retry-after']).toBeDefined()
  })
})
