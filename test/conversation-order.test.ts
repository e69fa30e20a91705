import { beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, eventually, useTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>

describe(`${DIALECT}: the list of customers waiting for an answer, longest waiting first`, () => {
  const ctx = useTestServer()
  let server: TestServer, agent: Caller
  beforeAll(() => {
    ;({ server, agent } = ctx)
  })
  const list = async (query: string): Promise<Json> => (await agent.inject({ method: 'GET', url: `/api/conversations?${query}` })).json()

  it('shows only conversations whose customer waits for a colleague’s answer, longest waiting first, page by page', async () => {
    const ids: Record<string, string> = {}
    for (const [name, waId] of [['Anna', '4915400000001'], ['Bernd', '4915400000002'], ['Clara', '4915400000003']] as const) {
      ids[name] = (await customerWrites(server, waId, `Hallo, hier ist ${name}`, name)).conversationId
    }
    // The three wrote 30, 25 and 20 minutes ago (set here: the simulator stamps whole seconds, often the same one).
    // Relative to now, not to a clock time: Bernd's window must be open whenever the suite runs.
    const at = (minute: number) => new Date(Date.now() - (30 - minute) * 60_000).toISOString()
    for (const [name, minute] of [['Anna', 0], ['Bernd', 5], ['Clara', 10]] as const) {
      await server.database.db.updateTable('conversations').set({ last_message_at: at(minute), last_inbound_at: at(minute), awaiting_reply_since: at(minute) }).where('id', '=', ids[name]!).execute()
    }
    // Bernd got an answer: he no longer waits.
    expect((await agent.inject({ method: 'POST', url: `/api/conversations/${ids.Bernd}/messages`, payload: { type: 'text', text: { body: 'Gern geschehen' } } })).statusCode).toBe(202)
    await eventually(async () => (await list('order=newest')).items[0]?.id === ids.Bernd)

    const waiting = await list('order=waiting')
    expect(waiting.items.map((c: Json) => c.contact.name)).toEqual(['Anna', 'Clara'])
    const first = await list('order=waiting&limit=1')
    expect(first.items.map((c: Json) => c.contact.name)).toEqual(['Anna'])
    const second = await list(`order=waiting&limit=1&cursor=${encodeURIComponent(first.nextCursor)}`)
    expect(second.items.map((c: Json) => c.contact.name)).toEqual(['Clara'])
    expect(second.nextCursor).toBeNull()

    // The default stays: every conversation, latest activity first.
    expect((await list('')).items.map((c: Json) => c.contact.name)).toEqual(['Bernd', 'Clara', 'Anna'])

    // A customer writing again keeps their place: the wait runs from the first unanswered message.
    await customerWrites(server, '4915400000001', 'Noch da?', 'Anna')
    expect((await list('order=waiting')).items.map((c: Json) => c.contact.name)).toEqual(['Anna', 'Clara'])
    // An answer takes them out of it; writing again puts them at the end.
    expect((await agent.inject({ method: 'POST', url: `/api/conversations/${ids.Anna}/messages`, payload: { type: 'text', text: { body: 'Ja, einen Moment bitte.' } } })).statusCode).toBe(202)
    expect((await list('order=waiting')).items.map((c: Json) => c.contact.name)).toEqual(['Clara'])
    await customerWrites(server, '4915400000001', 'Danke! Und noch eine Frage.', 'Anna')
    expect((await list('order=waiting')).items.map((c: Json) => c.contact.name)).toEqual(['Clara', 'Anna'])
  })

  it('refuses an unknown order with 400 and a field', async () => {
    const res = await agent.inject({ method: 'GET', url: '/api/conversations?order=oldest' })
    expect(res.statusCode).toBe(400)
    expect(res.body).toContain('order')
  })
})

describe(`${DIALECT}: how many open conversations each view of the list holds`, () => {
  const ctx = useTestServer({ team: true })

  it('counts open conversations for all, mine and unassigned, as the caller may see them', async () => {
    const { server, agent, admin, auditor } = ctx
    const colleague = await server.login('agent')
    const counts = async (who: Caller) => (await who.inject({ method: 'GET', url: '/api/conversations/counts' })).json()
    expect(await counts(agent)).toEqual({ all: 0, mine: 0, unassigned: 0, overdue: 0 })

    const ids: string[] = []
    for (let i = 1; i <= 5; i++) ids.push((await customerWrites(server, `491550000000${i}`, 'Hallo')).conversationId)
    const assign = (id: string, to: string | undefined) => admin.inject({ method: 'PATCH', url: `/api/conversations/${id}`, payload: { assigneeId: to } })
    await assign(ids[0]!, agent.userId)
    await assign(ids[1]!, agent.userId)
    await assign(ids[2]!, colleague.userId)
    expect((await admin.inject({ method: 'PATCH', url: `/api/conversations/${ids[4]}`, payload: { status: 'resolved' } })).statusCode).toBe(200)

    // The agent sees their own and the unassigned ones (privacy by default), the admin all.
    expect(await counts(agent)).toEqual({ all: 3, mine: 2, unassigned: 1, overdue: 0 })
    expect(await counts(colleague)).toEqual({ all: 2, mine: 1, unassigned: 1, overdue: 0 })
    expect(await counts(admin)).toEqual({ all: 4, mine: 0, unassigned: 1, overdue: 0 })
    // Each count is what the list shows for that view.
    const listed = async (who: Caller, query: string) => (await who.inject({ method: 'GET', url: `/api/conversations?status=open${query}` })).json().items.length
    expect(await listed(agent, '')).toBe(3)
    expect(await listed(agent, '&assignee=me')).toBe(2)
    expect(await listed(agent, '&assignee=none')).toBe(1)

    expect((await auditor.inject({ method: 'GET', url: '/api/conversations/counts' })).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'GET', url: '/api/conversations/counts' })).statusCode).toBe(401)
  })
})
