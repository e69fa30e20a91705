import { beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, eventually, useTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>

describe(`${DIALECT}: replies signed with the colleague's name`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer, agent: Caller, admin: Caller
  let conversationId: string
  beforeAll(async () => {
    ;({ server, agent, admin } = ctx)
    ;({ conversationId } = await customerWrites(server, '4915700000001', 'Haben Sie morgen geöffnet?', 'Sina Signatur'))
  })
  const send = (who: Caller, body: string) => who.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body } } })
  /** The text the customer's phone received for a wamid (the simulator's record of the Graph call). */
  const received = (wamid: string) => eventually(() => server.simulatorState().sent.find((s) => s.wamid === wamid))
  const sentWamid = async (messageId: string) =>
    eventually(async () => ((await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages` })).json().items as Json[]).find((m) => m.id === messageId && m.wamid)?.wamid as string)
  const agentName = async () => (await agent.inject({ method: 'GET', url: '/api/auth/me' })).json().user.name as string

  it('is off by default: the text goes as written', async () => {
    expect((await agent.inject({ method: 'GET', url: '/api/settings' })).json().signWithName).toBe(false)
    const res = await send(agent, 'Ja, bis 18 Uhr.')
    expect(res.statusCode).toBe(202)
    expect(res.json().text.body).toBe('Ja, bis 18 Uhr.')
  })

  it('switched on, a colleague’s text starts with their name in bold, as stored, archived and sent to WhatsApp', async () => {
    const on = await admin.inject({ method: 'PUT', url: '/api/settings', payload: { signWithName: true } })
    expect(on.statusCode).toBe(200)
    expect(on.json().signWithName).toBe(true)
    const res = await send(agent, 'Gern geschehen!')
    expect(res.statusCode).toBe(202)
    const name = await agentName()
    expect(res.json().text.body).toBe(`*${name}*\nGern geschehen!`)
    const wamid = await sentWamid(res.json().id)
    expect((await received(wamid)).body).toMatchObject({ type: 'text', text: { body: `*${name}*\nGern geschehen!` } })
    // An integration (API token) writes for the company, with no one's name.
    const viaToken = await (await server.token('agent')).inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Automatisch aus dem CRM' } } })
    expect(viaToken.json().text.body).toBe('Automatisch aus dem CRM')
  })

  it('refuses a text that the name would push over WhatsApp’s limit, storing nothing; only admins switch it', async () => {
    const before = (await server.database.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute()).length
    const res = await send(agent, 'x'.repeat(4096))
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ type: expect.stringContaining('text-too-long') })
    expect((await server.database.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute()).length).toBe(before)
    expect((await agent.inject({ method: 'PUT', url: '/api/settings', payload: { signWithName: false } })).statusCode).toBe(403)
    expect((await admin.inject({ method: 'PUT', url: '/api/settings', payload: { signWithName: 'yes' } })).statusCode).toBe(400)
    expect((await admin.inject({ method: 'GET', url: '/api/settings' })).json().signWithName).toBe(true)
    expect((await admin.inject({ method: 'PUT', url: '/api/settings', payload: { signWithName: false } })).json().signWithName).toBe(false)
    expect((await send(agent, 'Ohne Namen')).json().text.body).toBe('Ohne Namen')
  })
})
