import { unzipSync } from 'fflate'
import { beforeAll, describe, expect, it } from 'vitest'
import { berlinToday, type Caller, customerWrites, DIALECT, eventually, type TestServer, useTestServer } from './helpers.js'

type Json = Record<string, any>

describe(`${DIALECT}: GDPR-18 restriction at the person's request, and lifting it only after telling them`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer
  let admin: Caller
  let agent: Caller
  let contactId: string
  beforeAll(async () => {
    ;({ server, admin, agent } = ctx)
    await customerWrites(server, '4916500000001', 'START', 'Rosa Ruhig')
    await customerWrites(server, '4916500000001', 'Meine Adresse stimmt nicht, bitte nicht mehr verwenden.', 'Rosa Ruhig')
    contactId = (await agent.inject({ method: 'GET', url: '/api/contacts?waId=4916500000001' })).json().items[0].id
  })
  const search = async (q: string): Promise<Json> => (await agent.inject({ method: 'GET', url: `/api/search?q=${encodeURIComponent(q)}` })).json()
  const preview = async (): Promise<Json> => (await agent.inject({ method: 'POST', url: '/api/campaigns/preview', payload: { purpose: 'marketing', audience: {} } })).json()

  it('a granted restriction hides the person from search and campaign audiences, but not from the auditor’s Z3 export', async () => {
    expect((await search('Adresse')).messages).toHaveLength(1)
    // A colleague's mention and a reminder set before the restriction: neither reaches the team after it.
    const conversationId = (await search('Rosa')).conversations[0].conversationId
    expect((await admin.inject({ method: 'POST', url: `/api/conversations/${conversationId}/notes`, payload: { body: 'Frau Ruhig will keine Post mehr', mentions: [agent.userId] } })).statusCode).toBe(201)
    expect((await agent.inject({ method: 'GET', url: '/api/notifications' })).json().items).toHaveLength(1)
    const until = new Date(Date.now() + 2000).toISOString()
    expect((await agent.inject({ method: 'PATCH', url: `/api/conversations/${conversationId}`, payload: { assigneeId: agent.userId, pendingUntil: until } })).statusCode).toBe(200)
    expect(await preview()).toMatchObject({ eligible: 1 })
    const dsr = (await admin.inject({ method: 'POST', url: '/api/privacy/requests', payload: { kind: 'restriction', channel: 'whatsapp', contactId } })).json()
    expect((await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/verify-identity` })).statusCode).toBe(200)
    expect((await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/complete`, payload: { outcome: 'Die Verarbeitung ist eingeschränkt, bis die Adresse geklärt ist.' } })).statusCode).toBe(200)

    expect(await server.database.db.selectFrom('contacts').select(['restriction_reason']).where('id', '=', contactId).executeTakeFirstOrThrow()).toEqual({ restriction_reason: 'request' })
    expect((await search('Adresse')).messages).toEqual([])
    expect((await search('Rosa')).conversations).toEqual([])
    expect(await preview()).toMatchObject({ eligible: 0, excluded: { restricted: 1 } })
    const send = await agent.inject({ method: 'POST', url: '/api/messages', payload: { to: '4916500000001', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } })
    expect(send.statusCode).toBe(409)
    const reminder = () => server.database.db.selectFrom('jobs').select('state').where('kind', '=', 'conversation.reminder').where('payload', 'like', `%${conversationId}%`).executeTakeFirstOrThrow()
    await eventually(async () => (await reminder()).state === 'done')
    expect((await agent.inject({ method: 'GET', url: '/api/notifications' })).json().items).toEqual([])
    expect(await server.database.db.selectFrom('conversations').select(['status', 'pending_until']).where('id', '=', conversationId).executeTakeFirstOrThrow()).toEqual({ status: 'pending', pending_until: until })

    const auditor = await server.login('auditor')
    expect((await admin.inject({ method: 'PUT', url: '/api/archive/audit-scope', payload: { from: '2020-01-01', to: '2040-12-31' } })).statusCode).toBe(204)
    const zip = await auditor.inject({ method: 'GET', url: `/api/archive/export?from=${berlinToday()}&to=${berlinToday()}&contactId=${contactId}` })
    expect(zip.statusCode).toBe(200)
    const files = unzipSync(zip.rawPayload)
    const csv = Object.entries(files).filter(([name]) => name.endsWith('.csv')).map(([, bytes]) => Buffer.from(bytes).toString('utf8')).join('\n')
    expect(csv).toContain('Meine Adresse stimmt nicht')
  })

  it('lifting asks for the person to be told first; only when that is done does the restriction end', async () => {
    expect((await admin.inject({ method: 'POST', url: `/api/contacts/${contactId}/restriction/lift`, payload: { reason: 'kurz' } })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'POST', url: `/api/contacts/${contactId}/restriction/lift`, payload: { reason: 'Die Adresse ist geklärt.' } })).statusCode).toBe(403)
    const lift = await admin.inject({ method: 'POST', url: `/api/contacts/${contactId}/restriction/lift`, payload: { reason: 'Die Adresse ist geklärt.' } })
    expect(lift.statusCode).toBe(201)
    expect(lift.json()).toMatchObject({ kind: 'inform-before-lifting', contact: { id: contactId, waId: '4916500000001' }, completedAt: null })
    expect((await admin.inject({ method: 'POST', url: `/api/contacts/${contactId}/restriction/lift`, payload: { reason: 'Die Adresse ist geklärt.' } })).statusCode).toBe(409)
    // Still restricted while the task is open.
    expect((await search('Adresse')).messages).toEqual([])
    expect((await admin.inject({ method: 'GET', url: '/api/privacy/tasks' })).json().items.map((t: Json) => t.id)).toEqual([lift.json().id])

    expect((await admin.inject({ method: 'POST', url: `/api/privacy/tasks/${lift.json().id}/complete`, payload: { note: 'x' } })).statusCode).toBe(400)
    expect((await admin.inject({ method: 'POST', url: `/api/privacy/tasks/${lift.json().id}/complete`, payload: { note: 'Am 30.11. per Brief informiert.' } })).statusCode).toBe(204)
    expect((await admin.inject({ method: 'POST', url: `/api/privacy/tasks/${lift.json().id}/complete`, payload: { note: 'Am 30.11. per Brief informiert.' } })).statusCode).toBe(409)
    expect((await search('Adresse')).messages).toHaveLength(1)
    expect(await preview()).toMatchObject({ eligible: 1 })
    expect((await admin.inject({ method: 'GET', url: '/api/privacy/tasks' })).json().items).toEqual([])
    const audit = await server.database.db.selectFrom('audit_log').select('action').where('contact_id', '=', contactId).execute()
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['contact.restriction_lift_requested', 'contact.restriction_lifted']))
  })

  it('a restriction kept for a retention duty cannot be lifted by hand', async () => {
    await customerWrites(server, '4916500000002', 'Bitte liefern Sie an die neue Adresse.', 'Otto Ordnung')
    const other = (await agent.inject({ method: 'GET', url: '/api/contacts?waId=4916500000002' })).json().items[0].id
    const dsr = (await admin.inject({ method: 'POST', url: '/api/privacy/requests', payload: { kind: 'erasure', channel: 'whatsapp', contactId: other } })).json()
    await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/verify-identity` })
    expect((await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/erase` })).statusCode).toBe(200)
    const res = await admin.inject({ method: 'POST', url: `/api/contacts/${other}/restriction/lift`, payload: { reason: 'Versuch, die Aufbewahrung zu umgehen.' } })
    expect(res.statusCode).toBe(409)
    expect(res.json().type).toMatch(/restriction-required$/)
    expect((await admin.inject({ method: 'POST', url: '/api/contacts/nope/restriction/lift', payload: { reason: 'Die Adresse ist geklärt.' } })).statusCode).toBe(404)
  })
})
