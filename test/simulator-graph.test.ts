import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isValidSignature } from '../src/modules/whatsapp/signature.js'
import { SIMULATOR_DEFAULTS, startSimulatorServer } from '../src/simulator/index.js'

type Json = Record<string, any>

describe('the Cloud API simulator speaks Graph like Meta', () => {
  let sim: Awaited<ReturnType<typeof startSimulatorServer>>
  let hook: http.Server
  const received: { body: string; valid: boolean }[] = []
  const { phoneNumberId, wabaId, accessToken, appSecret } = SIMULATOR_DEFAULTS

  beforeAll(async () => {
    hook = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const raw = Buffer.concat(chunks)
        received.push({ body: raw.toString(), valid: isValidSignature(appSecret, raw, req.headers['x-hub-signature-256']) })
        res.end('ok')
      })
    })
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()))
    const port = (hook.address() as { port: number }).port
    sim = await startSimulatorServer({ webhookUrl: () => `http://127.0.0.1:${port}/`, behaviour: { statusStepMs: 5, throughputPerSecond: 5, pairBurst: 2 } })
  })
  afterAll(async () => {
    await sim.close()
    hook.close()
  })

  const call = async (method: string, path: string, body?: unknown, token: string | null = accessToken) => {
    const res = await fetch(`${sim.baseUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    })
    return { status: res.status, json: (await res.json()) as Json }
  }
  const text = (to: string, body = 'Hallo') => ({ messaging_product: 'whatsapp', to, type: 'text', text: { body } })

  it('refuses a missing or wrong token with 401 and code 190', async () => {
    for (const token of [null, 'wrong']) {
      const res = await call('POST', `/${phoneNumberId}/messages`, text('4915100000001'), token)
      expect(res.status).toBe(401)
      expect(res.json.error).toMatchObject({ code: 190, type: 'OAuthException' })
      expect(res.json.error.fbtrace_id).toBeTruthy()
    }
  })

  it('accepts a text, answers Meta\'s shape, then sends signed sent → delivered → read webhooks', async () => {
    const res = await call('POST', `/${phoneNumberId}/messages`, { ...text('+4915100000002', 'Grüße'), biz_opaque_callback_data: 'ours-1' })
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ messaging_product: 'whatsapp', contacts: [{ input: '+4915100000002', wa_id: '4915100000002' }] })
    const wamid = res.json.messages[0].id
    expect(wamid).toMatch(/^wamid\./)
    await sim.state.sender.idle()
    const statuses = received.map((r) => JSON.parse(r.body)).flatMap((b) => b.entry[0].changes[0].value.statuses ?? []).filter((s: Json) => s.id === wamid)
    // Deliveries run concurrently (like Meta's, they may arrive out of order): each step once,
    // and the steps' own timestamps in lifecycle order.
    expect(statuses.map((s: Json) => s.status).sort()).toEqual(['delivered', 'read', 'sent'])
    const at = (status: string) => Number(statuses.find((s: Json) => s.status === status).timestamp)
    expect(at('sent')).toBeLessThanOrEqual(at('delivered'))
    expect(at('delivered')).toBeLessThanOrEqual(at('read'))
    expect(statuses.every((s: Json) => s.biz_opaque_callback_data === 'ours-1' && typeof s.timestamp === 'string')).toBe(true)
    expect(received.every((r) => r.valid)).toBe(true)
    expect(received.some((r) => r.body.includes('\\u'))).toBe(false) // statuses carry no non-ASCII
  })

  it('validates like Meta: missing recipient, too long text, unknown and paused templates', async () => {
    expect((await call('POST', `/${phoneNumberId}/messages`, { messaging_product: 'whatsapp', type: 'text', text: { body: 'x' } })).json.error.code).toBe(131008)
    expect((await call('POST', `/${phoneNumberId}/messages`, text('4915100000003', 'x'.repeat(4097)))).json.error.code).toBe(100)
    const unknown = await call('POST', `/${phoneNumberId}/messages`, { messaging_product: 'whatsapp', to: '4915100000004', type: 'template', template: { name: 'nope', language: { code: 'de' } } })
    expect(unknown.status).toBe(404)
    expect(unknown.json.error.code).toBe(132001)
    const paused = await call('POST', `/${phoneNumberId}/messages`, { messaging_product: 'whatsapp', to: '4915100000004', type: 'template', template: { name: 'paused_offer', language: { code: 'de' } } })
    expect(paused.json.error.code).toBe(132015)
    expect((await call('POST', '/999/messages', text('4915100000004'))).json.error.code).toBe(100)
  })

  it('enforces the pair rate (131056) and the throughput limit (130429)', async () => {
    await new Promise((r) => setTimeout(r, 1100)) // a fresh throughput window
    const codes: (number | undefined)[] = []
    for (let i = 0; i < 3; i++) codes.push((await call('POST', `/${phoneNumberId}/messages`, text('4915100000010'))).json.error?.code)
    expect(codes).toEqual([undefined, undefined, 131056])
    await new Promise((r) => setTimeout(r, 1100))
    const results: (number | undefined)[] = []
    for (let i = 0; i < 6; i++) results.push((await call('POST', `/${phoneNumberId}/messages`, text(`49151000001${i}0`))).json.error?.code)
    expect(results.filter((c) => c === undefined)).toHaveLength(5)
    expect(results[5]).toBe(130429)
  })

  it('marks messages read and refuses unknown wamids', async () => {
    await new Promise((r) => setTimeout(r, 1100))
    const wamid = (await call('POST', `/${phoneNumberId}/messages`, text('4915100000020'))).json.messages[0].id
    expect((await call('POST', `/${phoneNumberId}/messages`, { messaging_product: 'whatsapp', status: 'read', message_id: wamid })).json).toEqual({ success: true })
    expect((await call('POST', `/${phoneNumberId}/messages`, { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.nope' })).status).toBe(400)
  })

  it('uploads, describes and serves media only with the token', async () => {
    const form = new FormData()
    form.set('messaging_product', 'whatsapp')
    form.set('file', new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }), 'a.png')
    const up = await fetch(`${sim.baseUrl}/${phoneNumberId}/media`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` }, body: form })
    const { id } = (await up.json()) as { id: string }
    const info = await call('GET', `/${id}`)
    expect(info.json).toMatchObject({ messaging_product: 'whatsapp', mime_type: 'image/png', file_size: 3, id })
    expect((await fetch(info.json.url)).status).toBe(401)
    const bytes = await fetch(info.json.url, { headers: { authorization: `Bearer ${accessToken}` } })
    expect(Buffer.from(await bytes.arrayBuffer())).toEqual(Buffer.from([1, 2, 3]))
    expect((await call('GET', '/123456')).status).toBe(404)
  })

  it('serves the number, templates (created PENDING, approved by webhook), the profile and registration', async () => {
    expect((await call('GET', `/${phoneNumberId}`)).json).toMatchObject({ id: phoneNumberId, quality_rating: 'GREEN', verified_name: expect.any(String) })
    expect((await call('GET', `/${wabaId}/phone_numbers`)).json.data[0].id).toBe(phoneNumberId)
    const created = await call('POST', `/${wabaId}/message_templates`, { name: 'termin_erinnerung', language: 'de', category: 'UTILITY', components: [{ type: 'BODY', text: 'Ihr Termin am {{1}}' }] })
    expect(created.json).toMatchObject({ status: 'PENDING', category: 'UTILITY' })
    expect((await call('POST', `/${wabaId}/message_templates`, { name: 'Bad Name', language: 'de', category: 'UTILITY' })).status).toBe(400)
    await new Promise((r) => setTimeout(r, 100))
    await sim.state.sender.idle()
    expect(received.some((r) => r.body.includes('"message_template_status_update"') && r.body.includes('termin_erinnerung'))).toBe(true)
    const list = await call('GET', `/${wabaId}/message_templates`)
    expect(list.json.data.find((t: Json) => t.name === 'termin_erinnerung').status).toBe('APPROVED')
    expect((await call('DELETE', `/${wabaId}/message_templates?name=termin_erinnerung`)).json).toEqual({ success: true })
    expect((await call('POST', `/${phoneNumberId}/whatsapp_business_profile`, { messaging_product: 'whatsapp', about: 'x'.repeat(140) })).status).toBe(400)
    expect((await call('POST', `/${phoneNumberId}/whatsapp_business_profile`, { messaging_product: 'whatsapp', about: 'Wir helfen gern' })).json).toEqual({ success: true })
    expect((await call('GET', `/${phoneNumberId}/whatsapp_business_profile`)).json.data[0].about).toBe('Wir helfen gern')
    expect((await call('POST', `/${phoneNumberId}/register`, { messaging_product: 'whatsapp', pin: '12' })).json.error.code).toBe(133005)
    expect((await call('POST', `/${phoneNumberId}/register`, { messaging_product: 'whatsapp', pin: '123456' })).json).toEqual({ success: true })
  })
})
