import { beforeAll, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { type Caller, customerWrites, DIALECT, eventually, type TestServer, useTestServer } from './helpers.js'

type Json = Record<string, any>

describe(`${DIALECT}: GDPR-25 privacy by default`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer
  let admin: Caller
  let mine: Caller
  let colleague: Caller
  const ids = {} as Record<'open' | 'mine' | 'theirs', string>

  beforeAll(async () => {
    ;({ server, admin, agent: mine } = ctx)
    colleague = await server.login('agent')
    ids.open = (await customerWrites(server, '4915600000001', 'Noch niemandem zugeteilt')).conversationId
    ids.mine = (await customerWrites(server, '4915600000002', 'Meine Anfrage Quittenbaum')).conversationId
    ids.theirs = (await customerWrites(server, '4915600000003', 'Kollegin Anfrage Quittenbaum')).conversationId
    for (const [id, who] of [[ids.mine, mine], [ids.theirs, colleague]] as const) {
      expect((await admin.inject({ method: 'PATCH', url: `/api/conversations/${id}`, payload: { assigneeId: who.userId } })).statusCode).toBe(200)
    }
  })

  it('a fresh installation has the privacy-friendly defaults (config snapshot)', async () => {
    const res = await admin.inject({ method: 'GET', url: '/api/privacy/defaults' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      retention: { marketingDays: 30, notesMonths: 24, consentEvidenceYears: 5, auditYears: 3, defaultClass: 'handelsbrief' },
      teamAccess: { agentVisibility: 'assigned', maskNumbersInLists: true },
      metaStorage: 'default',
      strictEu: false,
      media: expect.stringMatching(/^inbound media are fetched once/),
      publicPages: [expect.stringMatching(/^the opt-in page/)],
      publicLinks: expect.stringMatching(/^none/),
      telemetry: expect.stringMatching(/^none/),
      logs: expect.stringMatching(/^no phone numbers/),
    })
    expect((await mine.inject({ method: 'GET', url: '/api/privacy/defaults' })).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'GET', url: '/api/privacy/defaults' })).statusCode).toBe(401)
    expect((await mine.inject({ method: 'GET', url: '/api/auth/me' })).json()).toMatchObject({ maskNumbersInLists: true })
  })

  it("an agent sees their own and the unassigned conversations, not a colleague's — in the list, by id, in search; admins see all", async () => {
    const listed = async (c: Caller) => ((await c.inject({ method: 'GET', url: '/api/conversations?limit=100' })).json().items as Json[]).map((x) => x.id)
    expect(await listed(mine)).toEqual(expect.arrayContaining([ids.open, ids.mine]))
    expect(await listed(mine)).not.toContain(ids.theirs)
    expect(await listed(colleague)).toContain(ids.theirs)
    expect(await listed(admin)).toEqual(expect.arrayContaining([ids.open, ids.mine, ids.theirs]))
    for (const [method, url, payload] of [
      ['GET', `/api/conversations/${ids.theirs}`],
      ['GET', `/api/conversations/${ids.theirs}/messages`],
      ['GET', `/api/conversations/${ids.theirs}/notes`],
      ['POST', `/api/conversations/${ids.theirs}/messages`, { type: 'text', text: { body: 'Darf ich nicht' } }],
      ['POST', `/api/conversations/${ids.theirs}/notes`, { body: 'auch nicht' }],
      ['PATCH', `/api/conversations/${ids.theirs}`, { assigneeId: null }],
    ] as const) {
      expect((await mine.inject({ method, url, ...(payload ? { payload } : {}) })).statusCode, `${method} ${url}`).toBe(404)
    }
    // …nor through the message or the contact.
    const theirMessage = await server.database.db.selectFrom('messages').select('id').where('conversation_id', '=', ids.theirs).executeTakeFirstOrThrow()
    const theirContact = await server.database.db.selectFrom('conversations').select('contact_id').where('id', '=', ids.theirs).executeTakeFirstOrThrow()
    expect((await mine.inject({ method: 'PUT', url: `/api/messages/${theirMessage.id}/classification`, payload: { class: 'marketing', reason: 'Versuch' } })).statusCode).toBe(404)
    expect((await mine.inject({ method: 'GET', url: `/api/contacts/${theirContact.contact_id}/consents` })).statusCode).toBe(404)
    expect((await colleague.inject({ method: 'GET', url: `/api/contacts/${theirContact.contact_id}/consents` })).statusCode).toBe(200)
    // …nor a picture the customer sent in it.
    const sim = server.simulatorState()
    const picture = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a3c4e1a40000000049454e44ae426082', 'hex')
    const imageWamid = sim.customerSends('4915600000003', 'Test Kunde', 'image', { mime_type: 'image/png', sha256: createHash('sha256').update(picture).digest('base64'), id: sim.storeMedia(picture, 'image/png') })
    const media = await eventually(() => server.database.db.selectFrom('media').innerJoin('messages', 'messages.id', 'media.id').select('media.id').where('messages.wamid', '=', imageWamid).where('media.state', '=', 'stored').executeTakeFirst())
    expect((await mine.inject({ method: 'GET', url: `/api/media/${media.id}` })).statusCode).toBe(404)
    expect((await colleague.inject({ method: 'GET', url: `/api/media/${media.id}` })).rawPayload.equals(picture)).toBe(true)
    // Nothing was changed by the refused requests.
    const theirs = await server.database.db.selectFrom('conversations').select('assignee_id').where('id', '=', ids.theirs).executeTakeFirstOrThrow()
    expect(theirs.assignee_id).toBe(colleague.userId)
    expect(await server.database.db.selectFrom('notes').select('id').where('conversation_id', '=', ids.theirs).execute()).toEqual([])
    const found = async (c: Caller) => {
      const r = (await c.inject({ method: 'GET', url: '/api/search?q=Quittenbaum' })).json()
      return (r.messages as Json[]).map((m) => m.conversationId)
    }
    expect(await found(mine)).toEqual([ids.mine])
    expect((await found(admin)).sort()).toEqual([ids.mine, ids.theirs].sort())
    const byNumber = (await mine.inject({ method: 'GET', url: '/api/search?q=4915600000003' })).json()
    expect(byNumber.conversations).toEqual([])
    expect((await mine.inject({ method: 'GET', url: `/api/conversations/${ids.mine}/messages` })).statusCode).toBe(200)
  })

  it('GDPR-44: strict EU mode needs Meta to keep data in the EU (or not at all); the record and the app follow it', async () => {
    const put = (payload: object) => admin.inject({ method: 'PUT', url: '/api/privacy/settings', payload })
    const refused = await put({ strictEu: true })
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ type: expect.stringContaining('strict-eu-storage'), field: 'metaStorage' })
    expect((await admin.inject({ method: 'GET', url: '/api/privacy/settings' })).json()).toMatchObject({ strictEu: false, metaStorage: 'default' })
    expect((await mine.inject({ method: 'PUT', url: '/api/privacy/settings', payload: { strictEu: true, metaStorage: 'local-eu' } })).statusCode).toBe(403)

    expect((await put({ strictEu: true, metaStorage: 'local-eu' })).json()).toMatchObject({ strictEu: true, metaStorage: 'local-eu' })
    // While it is on, Meta's default storage cannot come back.
    expect((await put({ metaStorage: 'default' })).statusCode).toBe(409)
    expect((await admin.inject({ method: 'GET', url: '/api/privacy/settings' })).json().metaStorage).toBe('local-eu')
    const record = (await admin.inject({ method: 'GET', url: '/api/privacy/processing-record?format=json' })).json().record
    expect(record.e_transfers[0].storage).toMatch(/^Strenger EU-Modus: .*Local Storage in der EU/)
    expect(record.e_transfers[0].basis).toMatch(/Data Privacy Framework/)
    expect((await mine.inject({ method: 'GET', url: '/api/auth/me' })).json()).toMatchObject({ strictEu: true })

    expect((await put({ strictEu: false, metaStorage: 'default' })).json()).toMatchObject({ strictEu: false, metaStorage: 'default' })
  })

  it('an admin may open the whole inbox to agents and unmask numbers; bad settings are refused and change nothing', async () => {
    const put = (c: Caller, teamAccess: unknown) => c.inject({ method: 'PUT', url: '/api/privacy/settings', payload: { teamAccess } })
    expect((await put(admin, { agentVisibility: 'everyone', maskNumbersInLists: true })).statusCode).toBe(400)
    expect((await put(mine, { agentVisibility: 'all', maskNumbersInLists: false })).statusCode).toBe(403)
    expect((await admin.inject({ method: 'GET', url: '/api/privacy/defaults' })).json().teamAccess).toEqual({ agentVisibility: 'assigned', maskNumbersInLists: true })
    expect((await mine.inject({ method: 'GET', url: `/api/conversations/${ids.theirs}` })).statusCode).toBe(404)

    const res = await put(admin, { agentVisibility: 'all', maskNumbersInLists: false })
    expect(res.statusCode).toBe(200)
    expect(res.json().teamAccess).toEqual({ agentVisibility: 'all', maskNumbersInLists: false })
    expect((await mine.inject({ method: 'GET', url: `/api/conversations/${ids.theirs}` })).statusCode).toBe(200)
    expect((await mine.inject({ method: 'GET', url: '/api/auth/me' })).json()).toMatchObject({ maskNumbersInLists: false })
    await put(admin, { agentVisibility: 'assigned', maskNumbersInLists: true })
  })
})
