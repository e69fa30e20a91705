import { beforeAll, describe, expect, it } from 'vitest'
import { type Caller, customerWrites, DIALECT, eventually, type TestServer, useTestServer } from './helpers.js'

type Json = Record<string, any>
const HOUR = 3600_000
let now = Date.now()
const WELCOME = { name: 'welcome_back', language: 'de', parameters: ['{{contact.name}}'] }

describe(`${DIALECT}: campaigns (consent-gated audience, preview with reasons, start, pause, resume, cancel, results)`, () => {
  const ctx = useTestServer({ team: true, clock: () => now })
  let server: TestServer
  let admin: Caller
  let agent: Caller
  let vip: string
  const contacts: Record<string, { contactId: string; conversationId: string }> = {}
  beforeAll(async () => {
    ;({ server, admin, agent } = ctx)
    // Anna and Emil confirmed marketing by START; Bert never did; Clara confirmed, then said STOP;
    // Dora confirmed, then withdrew by phone (recorded by an agent).
    const people: [string, string, string[]][] = [
      ['4916100000001', 'Anna', ['START']],
      ['4916100000002', 'Bert', ['Hallo']],
      ['4916100000003', 'Clara', ['START', 'STOP']],
      ['4916100000004', 'Dora', ['START']],
      ['4916100000005', 'Emil', ['START']],
    ]
    for (const [waId, name, texts] of people) {
      let conversationId = ''
      for (const text of texts) conversationId = (await customerWrites(server, waId, text, name)).conversationId
      const contact = (await agent.inject({ method: 'GET', url: `/api/contacts?waId=${waId}` })).json().items[0]
      contacts[name] = { contactId: contact.id, conversationId }
    }
    expect((await agent.inject({ method: 'POST', url: `/api/contacts/${contacts.Dora!.contactId}/consents`, payload: { kind: 'withdrawn', purpose: 'marketing', reason: 'am Telefon' } })).statusCode).toBe(201)
    vip = (await admin.inject({ method: 'POST', url: '/api/labels', payload: { name: 'VIP', color: '#aa3300' } })).json().id
    for (const name of ['Anna', 'Bert']) expect((await agent.inject({ method: 'PUT', url: `/api/conversations/${contacts[name]!.conversationId}/labels/${vip}` })).statusCode).toBe(204)
    // The confirmations to START and STOP are not part of any campaign: let them go out first.
    await eventually(async () => (await server.database.db.selectFrom('messages').select('id').where('status', '=', 'queued').execute()).length === 0)
  })
  const create = (body: Json = {}) => admin.inject({ method: 'POST', url: '/api/campaigns', payload: { name: 'Winteraktion', purpose: 'marketing', template: WELCOME, audience: {}, ...body } })
  const get = async (id: string): Promise<Json> => (await agent.inject({ method: 'GET', url: `/api/campaigns/${id}` })).json()
  const campaignSends = () => server.simulatorState().sent.filter((s) => s.body.type === 'template' && (s.body.template as Json).name === 'welcome_back')

  it('previews the audience after consent, with the reasons counted', async () => {
    const all = await agent.inject({ method: 'POST', url: '/api/campaigns/preview', payload: { purpose: 'marketing', audience: {} } })
    expect(all.statusCode).toBe(200)
    expect(all.json()).toEqual({ matched: 5, eligible: 2, excluded: { 'no-consent': 1, withdrawn: 1, objected: 1, suppressed: 0, restricted: 0 } })
    const vips = (await agent.inject({ method: 'POST', url: '/api/campaigns/preview', payload: { purpose: 'marketing', audience: { labelIds: [vip] } } })).json()
    expect(vips).toEqual({ matched: 2, eligible: 1, excluded: { 'no-consent': 1, withdrawn: 0, objected: 0, suppressed: 0, restricted: 0 } })
    const reviews = (await agent.inject({ method: 'POST', url: '/api/campaigns/preview', payload: { purpose: 'reviews', audience: {} } })).json()
    expect(reviews.eligible).toBe(0)
  })

  it('refuses a campaign nobody may receive, a template without a way to object, wrong parameters and unknown purposes, creating nothing', async () => {
    const none = await create({ purpose: 'reviews' })
    expect(none.statusCode).toBe(400)
    expect(none.json()).toMatchObject({ type: expect.stringMatching(/no-recipients$/), detail: expect.stringMatching(/No one in this audience has a confirmed consent \(5 matched; left out: 5 no-consent\)|No one in this audience/) })
    expect((await create({ template: { name: 'flash_sale', language: 'de', parameters: ['20'] } })).json().type).toMatch(/template-without-opt-out$/)
    expect((await create({ template: { ...WELCOME, parameters: [] } })).json().detail).toMatch(/has 1 variable\(s\); 0 value\(s\) given/)
    expect((await create({ template: { name: 'paused_offer', language: 'de', parameters: [] } })).statusCode).toBe(400)
    expect((await create({ purpose: 'lottery' })).statusCode).toBe(400)
    expect((await create({ scheduledAt: new Date(now - HOUR).toISOString() })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'POST', url: '/api/campaigns', payload: { name: 'x', purpose: 'marketing', template: WELCOME, audience: {} } })).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'POST', url: '/api/campaigns/preview', payload: { purpose: 'marketing', audience: {} } })).statusCode).toBe(401)
    expect((await admin.inject({ method: 'POST', url: '/api/campaigns', headers: { 'content-type': 'application/json' }, payload: '{"name":' })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'GET', url: '/api/campaigns' })).json().items).toEqual([])
  })

  it('sends to the consenting only, personalised, as marketing; results per recipient including replies', async () => {
    const res = await create()
    expect(res.statusCode).toBe(201)
    const { id } = res.json()
    expect(res.json()).toMatchObject({ status: 'draft', progress: { recipients: 0 } })
    const started = await admin.inject({ method: 'POST', url: `/api/campaigns/${id}/start` })
    expect(started.statusCode).toBe(200)
    expect(started.json().status).toBe('running')
    const again = await admin.inject({ method: 'POST', url: `/api/campaigns/${id}/start` })
    expect(again.statusCode, again.body).toBe(409)
    await eventually(async () => (await get(id)).progress.read === 2)
    expect(campaignSends().map((s) => [s.recipient, (s.body.template as Json).components[0].parameters[0].text]).sort()).toEqual([
      ['4916100000001', 'Anna'],
      ['4916100000005', 'Emil'],
    ])
    // Marketing: each message carries the purpose, so the send path checked consent again and retention treats it as marketing.
    const messageIds = (await server.database.db.selectFrom('campaign_recipients').select('message_id').where('campaign_id', '=', id).execute()).flatMap((r) => (r.message_id ? [r.message_id] : []))
    // …and is sent by the campaign, not by a person (it is no agent's answer in the statistics).
    const messages = await server.database.db.selectFrom('messages').select(['purpose', 'sent_by']).where('id', 'in', messageIds).execute()
    expect(messages).toEqual([{ purpose: 'marketing', sent_by: null }, { purpose: 'marketing', sent_by: null }])

    await customerWrites(server, '4916100000001', 'Klingt gut, was kostet das?', 'Anna')
    await eventually(async () => (await get(id)).progress.replied === 1)
    const c = await get(id)
    expect(c.progress).toMatchObject({ recipients: 5, queued: 2, pending: 0, sent: 2, delivered: 2, read: 2, failed: 0, replied: 1, skipped: { 'no-consent': 1, withdrawn: 1, objected: 1 } })
    await eventually(async () => (await get(id)).status === 'completed')
    const recipients: Json[] = (await agent.inject({ method: 'GET', url: `/api/campaigns/${id}/recipients` })).json().items
    expect(recipients.map((r) => [r.name, r.state, r.skipReason, r.status, r.replied]).sort()).toEqual([
      ['Anna', 'queued', null, 'read', true],
      ['Bert', 'skipped', 'no-consent', null, false],
      ['Clara', 'skipped', 'objected', null, false],
      ['Dora', 'skipped', 'withdrawn', null, false],
      ['Emil', 'queued', null, 'read', false],
    ])
    // Statistics per campaign: its sends and the replies in its conversations.
    const window = `from=${new Date(Date.now() - 3600_000).toISOString()}&to=${new Date(Date.now() + 3600_000).toISOString()}&campaignId=${id}`
    const stats = (await agent.inject({ method: 'GET', url: `/api/stats/summary?${window}` })).json()
    const inCampaign = await server.database.db.selectFrom('messages').select(['direction', 'status']).where('conversation_id', 'in', [contacts.Anna!.conversationId, contacts.Emil!.conversationId]).execute()
    // Of the outbound messages only the campaign's two count (not the START confirmations); all customer messages in its conversations do.
    expect(stats).toMatchObject({ sent: 2, delivered: 2, read: 2, failed: 0 })
    expect(inCampaign.filter((m) => m.direction === 'outbound').length).toBeGreaterThan(2)
    expect(stats.received).toBe(inCampaign.filter((m) => m.direction === 'inbound').length)
    // The reply is an ordinary message in the customer's conversation in the inbox.
    const thread: Json[] = (await agent.inject({ method: 'GET', url: `/api/conversations/${contacts.Anna!.conversationId}/messages` })).json().items
    expect(thread.some((m) => m.direction === 'inbound' && m.text?.body === 'Klingt gut, was kostet das?')).toBe(true)
  })

  it('keeps to the messaging limit per 24 hours, pauses and resumes; a scheduled one starts when due; cancel stops the rest', async () => {
    // A limit of 2 people a day, both reached by the previous campaign: nothing more goes out today.
    await server.database.db.insertInto('settings').values({ key: 'channel.status', value: JSON.stringify({ messagingLimit: 'TIER_2' }), updated_by: null, updated_at: new Date().toISOString() }).execute()
    const { id } = (await create({ name: 'Zweite Runde' })).json()
    expect((await admin.inject({ method: 'POST', url: `/api/campaigns/${id}/start` })).json().status).toBe('running')
    await new Promise((r) => setTimeout(r, 1500))
    expect((await get(id)).progress).toMatchObject({ queued: 0, pending: 2 })
    expect((await admin.inject({ method: 'POST', url: `/api/campaigns/${id}/pause` })).json().status).toBe('paused')
    now += 25 * HOUR // a day later the limit has room again, but the campaign is paused
    await new Promise((r) => setTimeout(r, 1500))
    expect((await get(id)).progress).toMatchObject({ queued: 0, pending: 2 })
    expect((await admin.inject({ method: 'POST', url: `/api/campaigns/${id}/resume` })).json().status).toBe('running')
    await eventually(async () => (await get(id)).status === 'completed')
    expect((await get(id)).progress).toMatchObject({ queued: 2, pending: 0 })

    const later = (await create({ name: 'Geplant', scheduledAt: new Date(now + 2 * HOUR).toISOString() })).json()
    expect(later.status).toBe('scheduled')
    expect((await admin.inject({ method: 'POST', url: `/api/campaigns/${later.id}/pause` })).statusCode).toBe(409)
    now += 3 * HOUR
    await eventually(async () => (await get(later.id)).status !== 'scheduled')
    const cancelled = await admin.inject({ method: 'POST', url: `/api/campaigns/${later.id}/cancel` })
    expect(cancelled.statusCode).toBe(200)
    expect(cancelled.json().status).toBe('cancelled')
    expect((await admin.inject({ method: 'POST', url: `/api/campaigns/${later.id}/resume` })).statusCode).toBe(409)
    expect((await admin.inject({ method: 'POST', url: '/api/campaigns/nope/cancel' })).statusCode).toBe(404)

    // The audience is judged again at the start: if nobody may receive it by then, nothing starts.
    const vipOnly = (await create({ name: 'Nur VIP', audience: { labelIds: [vip] } })).json()
    expect(vipOnly.status).toBe('draft')
    expect((await agent.inject({ method: 'POST', url: `/api/contacts/${contacts.Anna!.contactId}/consents`, payload: { kind: 'objected', purpose: 'marketing', reason: 'am Telefon' } })).statusCode).toBe(201)
    const refused = await admin.inject({ method: 'POST', url: `/api/campaigns/${vipOnly.id}/start` })
    expect(refused.statusCode).toBe(400)
    expect(refused.json().type).toMatch(/no-recipients$/)
    expect(await get(vipOnly.id)).toMatchObject({ status: 'draft', progress: { recipients: 0 } })
  })
})
