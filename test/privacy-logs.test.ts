import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { capturedLog, DIALECT, eventually, readFixture, startTestServer, type TestServer } from './helpers.js'

describe(`${DIALECT}: no personal data or secrets in the log`, () => {
  let server: TestServer
  const { stream, lines } = capturedLog()
  beforeAll(async () => {
    // The most talkative level: even per-request lines must not carry personal data.
    server = await startTestServer({ logger: { stream }, env: { LOG_LEVEL: 'trace' } })
  })
  // Trace logging makes the shutdown slow when the whole suite shares the two cores.
  afterAll(() => server.stop(), 90_000)

  it('logs requests without phone numbers, names, message text, cookies or tokens', async () => {
    const agent = await server.login('agent')
    expect((await server.webhook(readFixture('text.json'))).statusCode).toBe(200)
    // The fixture is a year old (window closed); the same customer writes again now.
    const wamid = server.simulatorState().customerSends('4915112345678', 'Erika Mustermann', 'text', { body: 'Wo ist Bestellung 4711?' })
    const { conversation_id } = await eventually(() => server.database.db.selectFrom('messages').select('conversation_id').where('wamid', '=', wamid).executeTakeFirst())
    const sent = await agent.inject({ method: 'POST', url: `/api/conversations/${conversation_id}/messages`, payload: { type: 'text', text: { body: 'Vertrauliche Antwort 4711' } } })
    expect(sent.statusCode).toBe(202)
    await eventually(async () => (await server.database.db.selectFrom('messages').select('wamid').where('id', '=', sent.json().id).executeTakeFirst())?.wamid)
    await agent.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'agent1@example.com', password: 'wrong-secret-password' } })
    const log = lines.join('')
    expect(lines.length).toBeGreaterThan(5) // the log was written at all
    for (const secret of ['4915112345678', 'Erika Mustermann', 'Bestellung 4711', 'Vertrauliche Antwort', 'wrong-secret-password', 'correct-horse-battery', 'simulator-access-token', 'simulator-app-secret', agent.headers.cookie!.split('=')[1]!, agent.headers['x-csrf-token']!]) {
      expect(log, `log contains ${secret.slice(0, 12)}…`).not.toContain(secret)
    }
  })
})
