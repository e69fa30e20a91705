import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signBody } from '../src/modules/whatsapp/signature.js'
import { DIALECT, readFixture, startTestServer, type Caller, type TestServer } from './helpers.js'

describe(`${DIALECT}: WhatsApp credentials saved by an admin (write-only, sealed, effective at once)`, () => {
  let server: TestServer
  let admin: Caller
  let channelId: string
  beforeAll(async () => {
    server = await startTestServer()
    admin = await server.login('admin')
    channelId = server.simulatorState().identity.phoneNumberId
  })
  afterAll(() => server.stop())

  // The simulator stands in for Meta: the new credentials point at it, with a new secret and verify token.
  const body = (o: Record<string, string> = {}) => ({
    phoneNumberId: channelId,
    businessAccountId: server.simulatorState().identity.wabaId,
    accessToken: server.simulatorState().accessToken,
    appSecret: 'b7d3c1f0a9e8d7c6b5a4f3e2d1c0b9a8',
    verifyToken: 'neues-verify-token-2026',
    apiBaseUrl: `${server.url}/graph/v26.0`,
    ...o,
  })
  const stored = async () => (await server.database.db.selectFrom('settings').selectAll().where('key', '=', 'whatsapp.credentials').executeTakeFirst())?.value

  it('refuses credentials the Graph API rejects, and stores nothing', async () => {
    const res = await admin.inject({ method: 'PUT', url: '/api/channels/credentials', payload: body({ accessToken: 'EAAG-this-token-is-not-valid-at-all' }) })
    expect(res.statusCode).toBe(422)
    expect(res.json().type).toMatch(/credentials-rejected$/)
    expect(res.json().detail).toMatch(/190/)
    expect(await stored()).toBeUndefined()
  })

  it('refuses malformed, oversized, unauthenticated and forbidden requests', async () => {
    for (const payload of [body({ phoneNumberId: 'abc' }), body({ accessToken: 'short' }), body({ apiBaseUrl: 'ftp://x' }), { phoneNumberId: channelId }]) {
      expect((await admin.inject({ method: 'PUT', url: '/api/channels/credentials', payload })).statusCode).toBe(400)
    }
    expect((await admin.inject({ method: 'PUT', url: '/api/channels/credentials', payload: body({ accessToken: 'x'.repeat(20_000) }) })).statusCode).toBe(413)
    expect((await server.app.inject({ method: 'PUT', url: '/api/channels/credentials', payload: body() })).statusCode).toBe(401)
    const agent = await server.login('agent')
    expect((await agent.inject({ method: 'PUT', url: '/api/channels/credentials', payload: body() })).statusCode).toBe(403)
    expect(await stored()).toBeUndefined()
  })

  it('saves them sealed, never shows the secrets, and uses the new app secret and verify token at once', async () => {
    const simulated = async () => (await admin.inject({ method: 'GET', url: '/api/channels' })).json().items.map((c: { simulated: boolean }) => c.simulated)
    expect(await simulated()).toEqual([true]) // the inbox links its customers to the simulator's phone page
    const res = await admin.inject({ method: 'PUT', url: '/api/channels/credentials', payload: body() })
    expect(res.statusCode).toBe(200)
    expect(await simulated()).toEqual([false])
    expect(res.json()).toMatchObject({ source: 'database', verifyToken: 'neues-verify-token-2026', phoneNumberId: channelId })
    expect(JSON.stringify(res.json())).not.toContain(body().appSecret)
    expect(JSON.stringify(res.json())).not.toContain(body().accessToken)

    const value = (await stored())!
    for (const secret of [body().appSecret, body().accessToken, 'neues-verify-token-2026']) expect(value).not.toContain(secret)
    expect(JSON.parse(value).sealed).toMatch(/^v1:/)
    // The key that seals them lives beside the data, readable by the owner only.
    const keyFile = path.join(server.dataDir, 'master.key')
    expect(fs.statSync(keyFile).mode & 0o077).toBe(0)

    const raw = readFixture('text.json')
    const old = await server.webhook(raw)
    expect(old.statusCode).toBe(401) // signed with the simulator's secret: no longer accepted
    const fresh = await server.app.inject({ method: 'POST', url: '/webhooks/whatsapp', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body().appSecret, raw) }, payload: raw })
    expect(fresh.statusCode).toBe(200)
    const handshake = await server.app.inject({ method: 'GET', url: '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=neues-verify-token-2026&hub.challenge=42' })
    expect(handshake.body).toBe('42')
    const test = await admin.inject({ method: 'POST', url: `/api/channels/${channelId}/test` })
    expect(test.json().ok).toBe(true)
  })

  it('is refused while the credentials come from the environment', async () => {
    const envServer = await startTestServer({
      env: { WHATSAPP_APP_SECRET: 'a'.repeat(32), WHATSAPP_VERIFY_TOKEN: 'env-verify-token', WHATSAPP_ACCESS_TOKEN: 'EAAG'.padEnd(40, 'x'), WHATSAPP_PHONE_NUMBER_ID: '123456789012345', WHATSAPP_BUSINESS_ACCOUNT_ID: '987654321098765' },
    })
    try {
      const envAdmin = await envServer.login('admin')
      const res = await envAdmin.inject({ method: 'PUT', url: '/api/channels/credentials', payload: body() })
      expect(res.statusCode).toBe(409)
      expect(res.json().type).toMatch(/managed-by-environment$/)
      const connection = await envAdmin.inject({ method: 'GET', url: '/api/channels/123456789012345/connection' })
      expect(connection.json()).toMatchObject({ source: 'environment', verifyToken: 'env-verify-token' })
      expect((await envAdmin.inject({ method: 'GET', url: '/api/channels' })).json().items).toMatchObject([{ id: '123456789012345', simulated: false }])
    } finally {
      await envServer.stop()
    }
  })
})
