import { beforeAll, describe, expect, it } from 'vitest'
import { variablesOf } from '../src/modules/whatsapp/template-definition.js'
import { type Caller, DIALECT, eventually, readFixture, type TestServer, useTestServer } from './helpers.js'

type Json = Record<string, any>
const SHIPPED = { name: 'lieferung_unterwegs', language: 'de', category: 'utility', body: 'Hallo {{1}}, Ihre Bestellung {{2}} ist unterwegs.', footer: 'Ihr Rad-Team', examples: ['Erika', '4711'] }

describe(`${DIALECT}: message templates (GET/POST/DELETE /api/templates) and Meta's verdicts`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer
  let admin: Caller
  let agent: Caller
  beforeAll(() => {
    ;({ server, admin, agent } = ctx)
  })
  const list = async (status = 'approved'): Promise<Json[]> => (await agent.inject({ method: 'GET', url: `/api/templates?status=${status}` })).json().items
  const create = (body: object, caller = admin) => caller.inject({ method: 'POST', url: '/api/templates', payload: body })

  it('creates a template at Meta; it is offered in the picker once Meta approved it', async () => {
    const res = await create(SHIPPED)
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ name: 'lieferung_unterwegs', language: 'de', status: 'PENDING', category: 'UTILITY' })
    const atMeta = server.simulatorState().templates.find((t) => t.name === 'lieferung_unterwegs')!
    expect(atMeta.components).toEqual([
      { type: 'BODY', text: SHIPPED.body, example: { body_text: [['Erika', '4711']] } },
      { type: 'FOOTER', text: 'Ihr Rad-Team' },
    ])
    expect((await list('all')).find((t) => t.name === 'lieferung_unterwegs')?.status).toBe('PENDING')
    // Meta's approval arrives by webhook; the picker then offers it with its two fields.
    await eventually(async () => (await list()).some((t) => t.name === 'lieferung_unterwegs'))
    expect((await list()).find((t) => t.name === 'lieferung_unterwegs')).toMatchObject({ variables: 2, status: 'APPROVED', footer: 'Ihr Rad-Team' })
  })

  it('refuses unbalanced variables, gaps, missing examples, marketing without a way to object, and bad names, creating nothing', async () => {
    const before = server.simulatorState().templates.length
    const cases: [Json, RegExp][] = [
      [{ body: 'Hallo {{1}, Ihre Bestellung ist da.', examples: ['x'] }, /unbalanced or malformed placeholder/],
      [{ body: 'Hallo {{1}}, Bestellung {{3}} ist da.', examples: ['x', 'y'] }, /numbered 1 to 2 without gaps/],
      [{ body: '{{1}}, Ihre Bestellung ist da.', examples: ['x'] }, /start or end/],
      [{ examples: ['Erika'] }, /one example per variable: the body has 2, 1 given/],
      [{ name: 'Lieferung' }, /lowercase letters/],
      [{ category: 'newsletter' }, /category/],
      [{ footer: 'Gruß {{1}}' }, /footer takes no variables/],
      [{ buttons: [{ type: 'url', text: 'Shop', url: 'javascript:alert(1)' }] }, /url/i],
    ]
    for (const [change, message] of cases) {
      const res = await create({ ...SHIPPED, name: 'kaputt', ...change })
      expect(res.statusCode, JSON.stringify(change)).toBe(400)
      expect(res.headers['content-type']).toMatch(/problem\+json/)
      expect(JSON.stringify(res.json())).toMatch(message)
    }
    const ad = await create({ ...SHIPPED, name: 'winter_angebot', category: 'marketing', footer: 'Ihr Rad-Team' })
    expect(ad.statusCode).toBe(400)
    expect(ad.json().detail).toMatch(/must say how to object/)
    expect(server.simulatorState().templates.length).toBe(before)
    // With a STOP button it is accepted.
    expect((await create({ ...SHIPPED, name: 'winter_angebot', category: 'marketing', buttons: [{ type: 'quick_reply', text: 'STOP' }] })).statusCode).toBe(201)
  })

  it('shows Meta’s rejection with its reason and a quality drop; the picker does not offer the rejected one', async () => {
    expect((await create({ ...SHIPPED, name: 'winter_sale', category: 'marketing', footer: 'Keine Werbung mehr? Antworten Sie STOP.' })).statusCode).toBe(201)
    await eventually(async () => (await list()).some((t) => t.name === 'winter_sale'))
    server.simulatorState().templates.find((t) => t.name === 'winter_sale')!.status = 'REJECTED'
    expect((await server.webhook(readFixture('template-status-rejected.json'))).statusCode).toBe(200)
    const all = await list('all')
    expect(all.find((t) => t.name === 'winter_sale')).toMatchObject({ status: 'REJECTED', reason: 'INVALID_FORMAT' })
    expect((await list()).some((t) => t.name === 'winter_sale')).toBe(false)
    const alert = await server.database.db.selectFrom('account_events').selectAll().where('subject', '=', 'template:winter_sale/de').where('event', '=', 'REJECTED').executeTakeFirstOrThrow()
    expect(alert.alert).toBe(1)
    // A quality drop of a template (here an unknown one) is recorded as an alert too; a replay changes nothing.
    expect((await server.webhook(readFixture('template-quality-update.json'))).statusCode).toBe(200)
    expect((await server.webhook(readFixture('template-quality-update.json'))).statusCode).toBe(200)
    expect(await server.database.db.selectFrom('account_events').select(['event', 'alert']).where('subject', '=', 'template:newsletter_weekly/de').execute()).toEqual([{ event: 'YELLOW', alert: 1 }])
    // On a listed template the latest quality shows, beside the reason of its current status.
    const quality = (score: string, time: number) => {
      const body = JSON.parse(readFixture('template-quality-update.json'))
      Object.assign(body.entry[0].changes[0].value, { message_template_name: 'winter_sale', new_quality_score: score })
      body.entry[0].time = time
      return body
    }
    expect((await server.webhook(quality('YELLOW', 1767261900))).statusCode).toBe(200)
    expect((await server.webhook(quality('RED', 1767262900))).statusCode).toBe(200)
    expect((await list('all')).find((t) => t.name === 'winter_sale')).toMatchObject({ status: 'REJECTED', reason: 'INVALID_FORMAT', quality: 'RED' })
  })

  it('deletes a template at Meta; answers 404, 401 and 403 where it must', async () => {
    expect((await admin.inject({ method: 'DELETE', url: '/api/templates/lieferung_unterwegs' })).statusCode).toBe(204)
    expect(server.simulatorState().templates.some((t) => t.name === 'lieferung_unterwegs')).toBe(false)
    expect((await list('all')).some((t) => t.name === 'lieferung_unterwegs')).toBe(false)
    expect((await admin.inject({ method: 'DELETE', url: '/api/templates/gibt_es_nicht' })).statusCode).toBe(404)
    expect((await admin.inject({ method: 'DELETE', url: '/api/templates/Bad%20Name' })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'DELETE', url: '/api/templates/hello_world' })).statusCode).toBe(403)
    expect((await create(SHIPPED, agent)).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'POST', url: '/api/templates', payload: SHIPPED })).statusCode).toBe(401)
    expect((await admin.inject({ method: 'POST', url: '/api/templates', headers: { 'content-type': 'application/json' }, payload: '{"name":' })).statusCode).toBe(400)
    expect((await admin.inject({ method: 'POST', url: '/api/templates', payload: { ...SHIPPED, body: 'x'.repeat(2_000_000) } })).statusCode).toBe(413)
    expect(server.simulatorState().templates.some((t) => t.name === 'hello_world')).toBe(true)
  })
})

describe('template variables', () => {
  it('counts {{n}} and names what is wrong', () => {
    expect(variablesOf('Hallo {{1}}, Bestellung {{2}} und nochmal {{1}} ist da.')).toEqual({ count: 2 })
    expect(variablesOf('Ohne Variablen.')).toEqual({ count: 0 })
    expect(variablesOf('Hallo {{1}} }} da.')).toHaveProperty('error')
    expect(variablesOf('Hallo {{ 1}} da.')).toHaveProperty('error')
    expect(variablesOf('Hallo {{2}} da.')).toHaveProperty('error')
    expect(variablesOf('Bestellung ist da, {{1}}.')).toHaveProperty('error')
  })
})
