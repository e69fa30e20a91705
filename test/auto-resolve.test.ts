import { beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, eventually, useTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>
const DAY = 24 * 60 * 60 * 1000

describe(`${DIALECT}: resolving quiet conversations`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer, agent: Caller, admin: Caller
  beforeAll(() => {
    ;({ server, agent, admin } = ctx)
  })
  const conversation = async (id: string): Promise<Json> => (await admin.inject({ method: 'GET', url: `/api/conversations/${id}` })).json()
  const put = (payload: unknown, who: Caller = admin) => who.inject({ method: 'PUT', url: '/api/settings/auto-resolve', payload: payload as object })
  /** Moves a conversation's times back, as if it had been quiet for that long. */
  async function quietFor(id: string, days: number, lastIsOurs: boolean) {
    const last = new Date(Date.now() - days * DAY).toISOString()
    const inbound = lastIsOurs ? new Date(Date.now() - days * DAY - 60_000).toISOString() : last
    await server.database.db.updateTable('conversations').set({ last_message_at: last, last_inbound_at: inbound }).where('id', '=', id).execute()
  }
  async function answered(waId: string, name: string) {
    const { conversationId } = await customerWrites(server, waId, 'Wann kommt meine Lieferung?', name)
    const res = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Morgen zwischen 9 und 12 Uhr.' } } })
    expect(res.statusCode).toBe(202)
    // Sent (and read) before the times are moved: the worker's own updates must not undo them.
    const messages = async (): Promise<Json[]> => (await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages` })).json().items
    await eventually(async () => (await messages()).find((m) => m.id === res.json().id)?.status === 'read')
    return conversationId
  }

  it('is off by default; switched on, it resolves answered conversations quiet for the set days, and nothing else', async () => {
    expect((await admin.inject({ method: 'GET', url: '/api/settings/auto-resolve' })).json()).toEqual({ afterDays: null })
    const quietOurs = await answered('4915600000001', 'Anna Antwort')
    const recentOurs = await answered('4915600000002', 'Bruno Bald')
    const { conversationId: waitingCustomer } = await customerWrites(server, '4915600000003', 'Hallo? Bekomme ich eine Antwort?', 'Carla Wartet')
    // Answered only by a machine (here an integration's API token, as an away message would): the customer still waits.
    const { conversationId: machineAnswered } = await customerWrites(server, '4915600000005', 'Ist jemand da?', 'Emil Automat')
    const integration = await server.token('agent')
    expect((await integration.inject({ method: 'POST', url: `/api/conversations/${machineAnswered}/messages`, payload: { type: 'text', text: { body: 'Wir melden uns.' } } })).statusCode).toBe(202)
    const snoozed = await answered('4915600000004', 'Dora Dösen')
    expect((await agent.inject({ method: 'PATCH', url: `/api/conversations/${snoozed}`, payload: { status: 'pending' } })).statusCode).toBe(200)
    await quietFor(quietOurs, 3, true)
    await quietFor(recentOurs, 1, true)
    await quietFor(waitingCustomer, 10, false)
    await quietFor(snoozed, 10, true)
    await quietFor(machineAnswered, 10, true)

    // A longer period first, changed at once: the pass the first save started must not be the last word.
    expect((await put({ afterDays: 30 })).statusCode).toBe(200)
    const res = await put({ afterDays: 2 })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ afterDays: 2 })
    await eventually(async () => (await conversation(quietOurs)).status === 'resolved')
    expect((await conversation(recentOurs)).status).toBe('open')
    // A customer still waiting for an answer is never put away.
    expect((await conversation(waitingCustomer)).status).toBe('open')
    expect((await conversation(machineAnswered)).status).toBe('open')
    expect((await conversation(snoozed)).status).toBe('pending')
    // Not a resolution by the team: the statistics' resolution times do not get the days of waiting.
    expect(await server.database.db.selectFrom('conversation_resolutions').select('id').where('conversation_id', '=', quietOurs).execute()).toEqual([])
    const log = (await admin.inject({ method: 'GET', url: '/api/audit?action=settings.auto_resolve_changed' })).json().items
    expect(log[0]).toMatchObject({ action: 'settings.auto_resolve_changed' })

    // The customer writes again: it opens as any resolved conversation does.
    await customerWrites(server, '4915600000001', 'Die Lieferung ist nicht gekommen.')
    expect((await conversation(quietOurs)).status).toBe('open')
  })

  it('refuses bad settings with a clear error and keeps the saved ones; only admins change them', async () => {
    for (const payload of [{ afterDays: 0 }, { afterDays: 1.5 }, { afterDays: '3' }, { afterDays: 366 }, { afterDays: 3, hours: 2 }, []]) {
      const res = await put(payload)
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
    expect((await admin.inject({ method: 'PUT', url: '/api/settings/auto-resolve', payload: `{"afterDays":3,"x":"${'a'.repeat(2_000_000)}"}`, headers: { 'content-type': 'application/json' } })).statusCode).toBe(413)
    expect((await put({ afterDays: 5 }, agent)).statusCode).toBe(403)
    expect((await agent.inject({ method: 'GET', url: '/api/settings/auto-resolve' })).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'PUT', url: '/api/settings/auto-resolve', payload: { afterDays: 5 } })).statusCode).toBe(401)
    expect((await admin.inject({ method: 'GET', url: '/api/settings/auto-resolve' })).json()).toEqual({ afterDays: 2 })
    // Off again: null.
    expect((await put({ afterDays: null })).json()).toEqual({ afterDays: null })
  })
})
