import { beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, useTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>

describe(`${DIALECT}: marking a conversation unread (POST /api/conversations/:id/unread)`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer, agent: Caller, admin: Caller, auditor: Caller
  beforeAll(() => {
    ;({ server, agent, admin, auditor } = ctx)
  })
  const get = async (id: string, who: Caller = agent): Promise<Json> => (await who.inject({ method: 'GET', url: `/api/conversations/${id}` })).json()

  it('puts the customer’s newest message back as unread for the team, and tells WhatsApp nothing', async () => {
    const { conversationId } = await customerWrites(server, '4915600000101', 'Erste Frage', 'Ulla Ungelesen')
    await customerWrites(server, '4915600000101', 'Zweite Frage', 'Ulla Ungelesen')
    expect((await get(conversationId)).unreadCount).toBe(2)
    expect((await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/read` })).statusCode).toBe(200)
    expect((await get(conversationId)).unreadCount).toBe(0)
    const readsAtMeta = server.simulatorState().readMarks.length

    const res = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/unread` })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ id: conversationId, unreadCount: 1 })
    expect((await get(conversationId, admin)).unreadCount).toBe(1) // the whole team's read state
    expect((await agent.inject({ method: 'GET', url: '/api/conversations' })).json().items.find((c: Json) => c.id === conversationId).unreadCount).toBe(1)
    expect(server.simulatorState().readMarks.length).toBe(readsAtMeta)
    // Read again, it clears as ever.
    expect((await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/read` })).statusCode).toBe(200)
    expect((await get(conversationId)).unreadCount).toBe(0)
    // Marked unread twice: still the newest message only.
    await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/unread` })
    await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/unread` })
    expect((await get(conversationId)).unreadCount).toBe(1)
  })

  it('refuses where there is nothing to mark, and to those who may not, changing nothing', async () => {
    // We wrote first (a template): the customer never wrote.
    const started = await admin.inject({ method: 'POST', url: '/api/messages', payload: { to: '4915600000102', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } })
    expect(started.statusCode).toBe(202)
    const quiet = started.json().conversationId as string
    const none = await agent.inject({ method: 'POST', url: `/api/conversations/${quiet}/unread` })
    expect(none.statusCode).toBe(409)
    expect(none.json().type).toMatch(/nothing-unread$/)

    const { conversationId } = await customerWrites(server, '4915600000103', 'Hallo', 'Theo Team')
    expect((await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/read` })).statusCode).toBe(200)
    expect((await auditor.inject({ method: 'POST', url: `/api/conversations/${conversationId}/unread` })).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/unread` })).statusCode).toBe(401)
    expect((await agent.inject({ method: 'POST', url: '/api/conversations/nope/unread' })).statusCode).toBe(404)
    expect((await agent.inject({ method: 'POST', url: `/api/conversations/${'x'.repeat(101)}/unread` })).statusCode).toBe(414) // an id longer than any of ours
    // Without the CSRF token a cookie session changes nothing.
    const { 'x-csrf-token': _, ...noCsrf } = agent.headers
    expect((await server.app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/unread`, headers: noCsrf })).statusCode).toBe(403)
    // A colleague's conversation is not the agent's to see (privacy by default): 404.
    expect((await admin.inject({ method: 'PATCH', url: `/api/conversations/${conversationId}`, payload: { assigneeId: admin.userId } })).statusCode).toBe(200)
    expect((await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/unread` })).statusCode).toBe(404)
    expect((await get(conversationId, admin)).unreadCount).toBe(0)
  })
})
