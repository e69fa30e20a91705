import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECT, eventually, startTestServer, type Caller, type TestServer } from './helpers.js'

describe(`${DIALECT}: duplicated, shuffled and late webhooks are harmless`, () => {
  let server: TestServer
  let agent: Caller
  beforeAll(async () => {
    // Every webhook twice, each delayed by up to 150 ms at random: statuses arrive out of order.
    server = await startTestServer({ simulator: { behaviour: { statusStepMs: 10 }, delivery: { duplicateRate: 1, jitterMs: 150, retryDelaysMs: [50, 100] } } })
    agent = await server.login('agent')
  })
  afterAll(() => server.stop())

  it('stores each customer message once and ends every sent message at read', async () => {
    const sim = server.simulatorState()
    const wamids = Array.from({ length: 8 }, (_, i) => sim.customerSends(`49151550000${10 + i}`, `Kunde ${i}`, 'text', { body: `Frage ${i}` }))
    const rows = await eventually(async () => {
      const r = await server.database.db.selectFrom('messages').select(['wamid', 'conversation_id']).where('wamid', 'in', wamids).execute()
      return r.length === wamids.length ? r : undefined
    })
    const ids: string[] = []
    for (const r of rows) {
      const res = await agent.inject({ method: 'POST', url: `/api/conversations/${r.conversation_id}/messages`, payload: { type: 'text', text: { body: 'Antwort' } } })
      expect(res.statusCode).toBe(202)
      ids.push(res.json().id)
    }
    await eventually(async () => {
      const statuses = await server.database.db.selectFrom('messages').select('status').where('id', 'in', ids).execute()
      return statuses.every((s) => s.status === 'read')
    }, 15_000)
    await sim.sender.idle()
    // Every webhook came twice, yet each message and each status is stored once.
    expect(sim.sender.delivered).toBeGreaterThanOrEqual(2 * (wamids.length + 3 * ids.length))
    const inbound = await server.database.db.selectFrom('messages').select('wamid').where('wamid', 'in', wamids).execute()
    expect(inbound).toHaveLength(wamids.length)
    const sent = await server.database.db.selectFrom('messages').select('wamid').where('id', 'in', ids).execute()
    const statusRows = await server.database.db.selectFrom('message_statuses').select(['wamid', 'status']).where('wamid', 'in', sent.map((s) => s.wamid!)).execute()
    expect(statusRows).toHaveLength(3 * ids.length)
  })

  it('verifies the callback like Meta before delivering', async () => {
    const sim = server.simulatorState()
    expect(await sim.verifyCallback(`${server.url}/webhooks/whatsapp`, 'simulator-verify-token')).toBe(true)
    expect(await sim.verifyCallback(`${server.url}/webhooks/whatsapp`, 'wrong-token')).toBe(false)
  })
})
