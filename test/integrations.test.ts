import { createHmac } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Caller, customerWrites, DIALECT, eventually, type TestServer, useTestServer } from './helpers.js'

type Json = Record<string, any>
type Received = { event: string; signature: string; body: string; json: Json }

/** A CRM's webhook endpoint; `failFirst` answers 500 that many times before it accepts. */
async function receiver(failFirst = 0) {
  const received: Received[] = []
  let failures = 0
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      if (failures < failFirst) {
        failures++
        res.writeHead(500).end()
        return
      }
      received.push({ event: String(req.headers['x-postfach-event']), signature: String(req.headers['x-postfach-signature']), body, json: JSON.parse(body) as Json })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/postfach`, received, close: () => new Promise((r) => server.close(r)) }
}

describe(`${DIALECT}: GDPR-19 integrations are told of erasure, restriction and rectification`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer
  let admin: Caller
  let agent: Caller
  let crm: Awaited<ReturnType<typeof receiver>>
  let shop: Awaited<ReturnType<typeof receiver>>
  const secrets: Record<string, string> = {}
  beforeAll(async () => {
    ;({ server, admin, agent } = ctx)
    crm = await receiver()
    shop = await receiver(1) // down at first: the event must still arrive
    for (const [name, r] of [['CRM', crm], ['Shop', shop]] as const) {
      const res = await admin.inject({ method: 'POST', url: '/api/integrations', payload: { name, url: r.url } })
      expect(res.statusCode).toBe(201)
      secrets[name] = res.json().secret
    }
  })
  afterAll(async () => {
    await crm.close()
    await shop.close()
  })
  const contactOf = async (waId: string): Promise<Json> => (await agent.inject({ method: 'GET', url: `/api/contacts?waId=${waId}` })).json().items[0]
  const erase = async (contactId: string) => {
    const dsr = (await admin.inject({ method: 'POST', url: '/api/privacy/requests', payload: { kind: 'erasure', channel: 'whatsapp', contactId, receivedAt: new Date().toISOString() } })).json()
    await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/verify-identity` })
    return admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/erase` })
  }
  const signed = (name: string, r: Received) => r.signature === `sha256=${createHmac('sha256', secrets[name]!).update(r.body).digest('hex')}`

  it('lists integrations without their secrets and refuses bad input and other roles', async () => {
    const list = (await admin.inject({ method: 'GET', url: '/api/integrations' })).json().items
    expect(list.map((i: Json) => i.name)).toEqual(['CRM', 'Shop'])
    expect(JSON.stringify(list)).not.toContain(secrets.CRM)
    expect((await admin.inject({ method: 'POST', url: '/api/integrations', payload: { name: 'x', url: 'ftp://crm.example' } })).statusCode).toBe(400)
    expect((await admin.inject({ method: 'POST', url: '/api/integrations', payload: { name: '', url: 'https://crm.example' } })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'POST', url: '/api/integrations', payload: { name: 'x', url: 'https://crm.example' } })).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'GET', url: '/api/integrations' })).statusCode).toBe(401)
    expect((await admin.inject({ method: 'DELETE', url: '/api/integrations/nope' })).statusCode).toBe(404)
    // The RoPA names them as recipients.
    const record = (await admin.inject({ method: 'GET', url: '/api/privacy/processing-record?format=json' })).json()
    expect(JSON.stringify(record.record.d_recipients)).toContain('Integration „CRM“ (127.0.0.1')
  })

  it('a restriction (business letters kept) and a full erasure reach every integration, signed; the queued events are sealed', async () => {
    const { conversationId } = await customerWrites(server, '4916300000001', 'Rechnung bitte an die Firma.', 'Bernd Brief')
    const letters = await contactOf('4916300000001')
    expect((await erase(letters.id)).statusCode).toBe(200)
    const { conversationId: chat } = await customerWrites(server, '4916300000002', 'Nur eine Frage.', 'Nora Nichts')
    expect((await agent.inject({ method: 'PUT', url: `/api/conversations/${chat}/classification`, payload: { class: 'none', reason: 'keine geschäftliche Korrespondenz' } })).statusCode).toBeLessThan(300)
    const gone = await contactOf('4916300000002')
    expect((await erase(gone.id)).statusCode).toBe(200)

    for (const [name, r] of [['CRM', crm], ['Shop', shop]] as const) {
      await eventually(() => r.received.length >= 2, 15_000)
      expect(r.received.map((x) => [x.event, x.json.contact.waId]).sort()).toEqual([
        ['contact.erased', '4916300000002'],
        ['contact.restricted', '4916300000001'],
      ])
      expect(r.received.every((x) => signed(name, x))).toBe(true)
      expect(r.received.find((x) => x.event === 'contact.restricted')!.json).toMatchObject({ contact: { id: letters.id }, detail: { until: expect.stringMatching(/-12-31$/) } })
    }
    const jobs = await server.database.db.selectFrom('jobs').select('payload').where('kind', '=', 'integration.deliver').execute()
    expect(jobs.length).toBe(4)
    expect(jobs.some((j) => j.payload.includes('4916300000001') || j.payload.includes('4916300000002'))).toBe(false)
    expect(conversationId).toBeTruthy()
  })

  it('a rectification is passed on; a removed integration hears nothing more', async () => {
    const shopId = (await admin.inject({ method: 'GET', url: '/api/integrations' })).json().items.find((i: Json) => i.name === 'Shop').id
    expect((await admin.inject({ method: 'DELETE', url: `/api/integrations/${shopId}` })).statusCode).toBe(204)
    await customerWrites(server, '4916300000003', 'Hallo', 'Karl Kurz')
    const c = await contactOf('4916300000003')
    expect((await agent.inject({ method: 'POST', url: `/api/contacts/${c.id}/corrections`, payload: { field: 'name', value: 'Karl Lang', reason: 'am Telefon berichtigt' } })).statusCode).toBe(201)
    await eventually(() => crm.received.some((x) => x.event === 'contact.rectified'))
    expect(crm.received.find((x) => x.event === 'contact.rectified')!.json).toMatchObject({ contact: { id: c.id, waId: '4916300000003' }, detail: { field: 'name', value: 'Karl Lang' } })
    await new Promise((r) => setTimeout(r, 1200))
    expect(shop.received.some((x) => x.event === 'contact.rectified')).toBe(false)
  })
})
