import { unzipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, eventually, useTestServer } from './helpers.js'

type Json = Record<string, any>

const WITH_NOTICE = { type: 'template', template: { name: 'zubehoer_bestandskunden', language: { code: 'de' } } }
// Says how to stop (STOP), but not that objecting costs nothing beyond the basic rates.
const WITHOUT_NOTICE = { type: 'template', template: { name: 'welcome_back', language: { code: 'de' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Erika' }] }] } }
const BASIS = { purpose: 'marketing', saleReference: 'Rechnung 2026-0815', soldAt: '2026-11-02', noticeText: 'Wir nutzen Ihre Nummer für Angebote zu ähnlichen Produkten. Sie können jederzeit widersprechen, ohne dass andere als die Übermittlungskosten nach den Basistarifen entstehen.', similarGoods: true }

describe(`${DIALECT}: UWG-7-3 advertising to existing customers (§ 7(3) UWG)`, () => {
  const ctx = useTestServer({ team: true })

  it('a template sent on the § 7(3) basis without the objection notice fails validation; with it, it goes out; an objection ends the basis', async () => {
    const { server, agent, auditor } = ctx
    const { conversationId } = await customerWrites(server, '4915800007301', 'Ist das Zubehör wieder lieferbar?', 'Bert Bestand')
    const contactId = (await server.database.db.selectFrom('conversations').select('contact_id').where('id', '=', conversationId).executeTakeFirstOrThrow()).contact_id
    const send = (payload: object) => agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload })
    const outbound = async () => (await server.database.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).where('direction', '=', 'outbound').execute()).length
    const url = `/api/contacts/${contactId}/existing-customer`

    // No consent and no basis: advertising is refused.
    expect((await send(WITH_NOTICE)).json().type).toMatch(/no-consent$/)

    // Recording the basis: bad input, no session, wrong role, unknown contact — nothing stored.
    for (const body of [{ ...BASIS, similarGoods: false }, { ...BASIS, soldAt: '2999-01-01' }, { ...BASIS, soldAt: '2026-02-31' }, { ...BASIS, purpose: 'lottery' }, { ...BASIS, noticeText: 'kurz' }, { ...BASIS, saleReference: 'x'.repeat(201) }]) {
      expect((await agent.inject({ method: 'POST', url, payload: body })).statusCode, JSON.stringify(body)).toBe(400)
    }
    expect((await agent.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{"purpose":' })).statusCode).toBe(400)
    expect((await server.app.inject({ method: 'POST', url, payload: BASIS })).statusCode).toBe(401)
    expect((await auditor.inject({ method: 'POST', url, payload: BASIS })).statusCode).toBe(403)
    expect((await agent.inject({ method: 'POST', url: '/api/contacts/nobody/existing-customer', payload: BASIS })).statusCode).toBe(404)
    expect((await agent.inject({ method: 'GET', url })).json().items).toEqual([])

    const recorded = await agent.inject({ method: 'POST', url, payload: BASIS })
    expect(recorded.statusCode).toBe(201)
    expect(recorded.json()).toMatchObject({ purpose: 'marketing', saleReference: 'Rechnung 2026-0815', soldAt: '2026-11-02', active: true })
    const consents = (await agent.inject({ method: 'GET', url: `/api/contacts/${contactId}/consents` })).json().items as Json[]
    expect(consents.find((c) => c.purpose === 'marketing')).toMatchObject({ state: 'none', existingCustomer: { saleReference: 'Rechnung 2026-0815', active: true } })

    // On the basis, a template without the notice fails validation and stores nothing …
    const before = await outbound()
    const refused = await send(WITHOUT_NOTICE)
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ type: expect.stringMatching(/objection-notice-missing$/), template: 'welcome_back', basis: 'existing-customer' })
    expect(await outbound()).toBe(before)
    // … one with it goes out (checked again at send time).
    const sent = await send(WITH_NOTICE)
    expect(sent.statusCode).toBe(202)
    await eventually(async () => (await server.database.db.selectFrom('messages').select('wamid').where('id', '=', sent.json().id).executeTakeFirst())?.wamid)

    // STOP: an objection ends the basis, and the basis cannot be recorded again.
    await customerWrites(server, '4915800007301', 'STOP', 'Bert Bestand')
    await eventually(async () => (await agent.inject({ method: 'GET', url })).json().items[0]?.active === false)
    expect((await send(WITH_NOTICE)).json().type).toMatch(/objected$/)
    expect((await agent.inject({ method: 'POST', url, payload: BASIS })).statusCode).toBe(409)
    // The recording is in the audit log, and the person's access package lists the basis.
    const audit = (await ctx.admin.inject({ method: 'GET', url: '/api/audit?action=consent.existing_customer_recorded&limit=10' })).json().items as Json[]
    expect(audit.some((e) => e.target === `contact:${contactId}`)).toBe(true)
    const pack = unzipSync((await ctx.admin.inject({ method: 'GET', url: `/api/contacts/${contactId}/export` })).rawPayload)
    expect(JSON.parse(Buffer.from(pack['data.json']!).toString('utf8')).existingCustomer).toEqual([expect.objectContaining({ saleReference: 'Rechnung 2026-0815', active: false })])
  })
})

describe(`${DIALECT}: the date of sale is a day in the company's time zone`, () => {
  // 00:30 on 1 July 2030 in Berlin, still 30 June in UTC.
  const ctx = useTestServer({ clock: () => Date.parse('2030-06-30T22:30:00Z') })

  it('takes a sale made today just after midnight in Berlin, and refuses tomorrow', async () => {
    const { conversationId } = await customerWrites(ctx.server, '4915800007302', 'Gerade gekauft', 'Nina Nacht')
    const contactId = (await ctx.server.database.db.selectFrom('conversations').select('contact_id').where('id', '=', conversationId).executeTakeFirstOrThrow()).contact_id
    const url = `/api/contacts/${contactId}/existing-customer`
    const tomorrow = await ctx.agent.inject({ method: 'POST', url, payload: { ...BASIS, soldAt: '2030-07-02' } })
    expect(tomorrow.statusCode).toBe(400)
    expect(tomorrow.json()).toMatchObject({ field: 'soldAt' })
    const today = await ctx.agent.inject({ method: 'POST', url, payload: { ...BASIS, soldAt: '2030-07-01' } })
    expect(today.statusCode).toBe(201)
    expect((await ctx.agent.inject({ method: 'GET', url })).json().items).toEqual([expect.objectContaining({ soldAt: '2030-07-01' })])
  })
})
