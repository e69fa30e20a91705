import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deriveStatus } from '../src/modules/inbox/message-status.js'
import { statusEvent } from '../src/simulator/payloads.js'
import { customerWrites, DIALECT, eventually, startTestServer, type Caller, type TestServer } from './helpers.js'

const ORDERS: string[][] = [
  ['sent', 'delivered', 'read'],
  ['read', 'delivered', 'sent'],
  ['delivered', 'sent', 'read', 'read', 'delivered'],
  ['read'],
]

describe('deriveStatus', () => {
  it('gives the same answer for every order of the same events', () => {
    const all = ['sent', 'delivered', 'read', 'failed']
    const permutations = (xs: string[]): string[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])))
    for (const p of permutations(all)) {
      const seen = new Set<string>()
      let status = 'queued' as Parameters<typeof deriveStatus>[1]
      for (const s of p) {
        seen.add(s)
        status = deriveStatus(seen, status)
      }
      expect(status, p.join(',')).toBe('read')
    }
    expect(deriveStatus(new Set(['sent', 'failed']), 'sent')).toBe('failed')
    expect(deriveStatus(new Set(['failed', 'delivered']), 'failed')).toBe('delivered')
    expect(deriveStatus(new Set(['played']), 'sent')).toBe('read')
  })
})

describe(`${DIALECT}: status webhooks applied monotonically`, () => {
  let server: TestServer
  let agent: Caller
  beforeAll(async () => {
    // The simulator's own statuses are switched off by a long delay: this test sends its own.
    server = await startTestServer({ simulator: { behaviour: { statusStepMs: 600_000 } } })
    agent = await server.login('agent')
  })
  afterAll(() => server.stop())

  async function sentMessage(waId: string) {
    const { conversationId: conversation_id } = await customerWrites(server, waId)
    const res = await agent.inject({ method: 'POST', url: `/api/conversations/${conversation_id}/messages`, payload: { type: 'text', text: { body: 'Antwort' } } })
    return eventually(() => server.database.db.selectFrom('messages').selectAll().where('id', '=', res.json().id).where('wamid', 'is not', null).executeTakeFirst())
  }
  const identity = () => server.simulatorState().identity
  const status = (wamid: string, s: string, errors?: unknown[]) => server.webhook(statusEvent(identity(), { wamid, status: s, recipient: '4915122000000', byUserId: false, ...(errors ? { errors } : {}) }))
  const current = async (id: string) => (await server.database.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow())

  ORDERS.forEach((order, i) => {
    it(`ends at read for the order ${order.join(' → ')}`, async () => {
      const m = await sentMessage(`49151220000${10 + i}`)
      for (const s of order) expect((await status(m.wamid!, s)).statusCode).toBe(200)
      expect((await current(m.id)).status).toBe('read')
    })
  })

  it('records failed with its reason, and a later delivered proves delivery', async () => {
    const m = await sentMessage('4915122000020')
    await status(m.wamid!, 'failed', [{ code: 131026, title: 'Message undeliverable', message: 'Message undeliverable', error_data: { details: 'Message Undeliverable.' } }])
    expect(await current(m.id)).toMatchObject({ status: 'failed', error_code: 131026, error_detail: 'Message Undeliverable.' })
    await status(m.wamid!, 'sent')
    expect((await current(m.id)).status).toBe('failed')
    await status(m.wamid!, 'delivered')
    expect(await current(m.id)).toMatchObject({ status: 'delivered', error_code: null })
  })

  it('keeps a status for an unknown wamid and applies it when the message gets that wamid', async () => {
    const m = await sentMessage('4915122000030')
    // Simulate the race: statuses for a wamid arrive before the send response is stored.
    await server.database.db.updateTable('messages').set({ wamid: null, status: 'queued' }).where('id', '=', m.id).execute()
    await status(m.wamid!, 'delivered')
    expect((await current(m.id)).status).toBe('queued')
    const { applyStoredStatuses } = await import('../src/modules/inbox/message-status.js')
    await server.database.db.updateTable('messages').set({ wamid: m.wamid, status: 'sent' }).where('id', '=', m.id).execute()
    await applyStoredStatuses(server.database.db, m.wamid!)
    expect((await current(m.id)).status).toBe('delivered')
  })

  it('links a status to an uncertain message through biz_opaque_callback_data', async () => {
    const m = await sentMessage('4915122000040')
    await server.database.db.updateTable('messages').set({ wamid: null, status: 'uncertain' }).where('id', '=', m.id).execute()
    const res = await server.webhook(statusEvent(identity(), { wamid: m.wamid!, status: 'delivered', recipient: '4915122000040', byUserId: false, bizOpaque: m.id }))
    expect(res.statusCode).toBe(200)
    expect(await current(m.id)).toMatchObject({ wamid: m.wamid, status: 'delivered' })
  })
})
