import { beforeAll, describe, expect, it } from 'vitest'
import { type Caller, customerWrites, DIALECT, eventually, type TestServer, useTestServer } from './helpers.js'

const PROFILE = {
  about: 'Ihr Fahrradladen in Berlin',
  description: 'Reparaturen, Ersatzteile und Beratung.',
  address: 'Hauptstraße 1, 10115 Berlin',
  email: 'kontakt@rad.example',
  websites: ['https://rad.example'],
  vertical: 'RETAIL',
  legalNotice: { text: 'Rad GmbH, Hauptstraße 1, 10115 Berlin, Tel. 030 123456, HRB 12345 B AG Charlottenburg, USt-IdNr. DE123456789' },
}

describe(`${DIALECT}: business profile (GET/PUT /api/business-profile) and the Impressum keyword`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer
  let admin: Caller
  let agent: Caller
  beforeAll(() => {
    ;({ server, admin, agent } = ctx)
  })
  const put = (body: object, caller = admin) => caller.inject({ method: 'PUT', url: '/api/business-profile', payload: body })

  it('reads what WhatsApp shows (changes made at Meta arrive here)', async () => {
    server.simulatorState().profile.about = 'Geändert im WhatsApp Manager'
    const res = await agent.inject({ method: 'GET', url: '/api/business-profile' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ about: 'Geändert im WhatsApp Manager', vertical: 'RETAIL', legalNotice: null, sync: { ok: true } })
  })

  it('refuses to save without a legal notice, or beyond Meta’s limits, and changes nothing at WhatsApp', async () => {
    const before = { ...server.simulatorState().profile }
    const missing = await put({ ...PROFILE, legalNotice: null })
    expect(missing.statusCode).toBe(400)
    expect(missing.json()).toMatchObject({ type: expect.stringMatching(/legal-notice-required|legal_notice_required/) })
    expect((await put({ ...PROFILE, legalNotice: undefined })).statusCode).toBe(400)
    for (const bad of [{ about: 'x'.repeat(140) }, { description: 'x'.repeat(513) }, { websites: ['https://a.example', 'https://b.example', 'https://c.example'] }, { websites: ['ftp://a.example'] }, { email: 'kein-mail' }, { vertical: 'BANANA' }, { legalNotice: { text: 'kurz' } }]) {
      const res = await put({ ...PROFILE, ...bad })
      expect(res.statusCode, JSON.stringify(bad)).toBe(400)
      expect(res.headers['content-type']).toMatch(/problem\+json/)
    }
    expect((await admin.inject({ method: 'PUT', url: '/api/business-profile', headers: { 'content-type': 'application/json' }, payload: '{"about"' })).statusCode).toBe(400)
    expect((await server.app.inject({ method: 'PUT', url: '/api/business-profile', payload: PROFILE })).statusCode).toBe(401)
    expect((await put(PROFILE, agent)).statusCode).toBe(403)
    expect((await ctx.auditor.inject({ method: 'GET', url: '/api/business-profile' })).statusCode).toBe(403)
    expect(server.simulatorState().profile).toEqual(before)
  })

  it('pushes a valid profile to WhatsApp, keeps the legal notice, and sends it to a customer who asks for the Impressum', async () => {
    const res = await put(PROFILE)
    expect(res.statusCode).toBe(200)
    expect(server.simulatorState().profile).toMatchObject({ about: PROFILE.about, description: PROFILE.description, websites: PROFILE.websites, vertical: 'RETAIL' })
    expect((await agent.inject({ method: 'GET', url: '/api/business-profile' })).json()).toMatchObject({ ...PROFILE, sync: { ok: true } })

    await customerWrites(server, '4915600000001', 'Impressum')
    await eventually(() => server.simulatorState().sent.some((s) => s.recipient === '4915600000001'))
    const reply = server.simulatorState().sent.find((s) => s.recipient === '4915600000001')!
    expect((reply.body.text as { body: string }).body).toBe(`Impressum\n\n${PROFILE.legalNotice.text}`)

    // A link works as well.
    expect((await put({ ...PROFILE, legalNotice: { url: 'https://rad.example/impressum' } })).statusCode).toBe(200)
    await customerWrites(server, '4915600000002', 'impressum?')
    await eventually(() => server.simulatorState().sent.some((s) => s.recipient === '4915600000002' && (s.body.text as { body: string }).body === 'Impressum: https://rad.example/impressum'))
  })

  it('says so when WhatsApp refuses the profile, and keeps the previous one', async () => {
    const res = await put({ ...PROFILE, about: 'Neu', address: 'y'.repeat(256), websites: ['https://rad.example/' + 'z'.repeat(230)] })
    // Within our limits and Meta's: accepted. Now make WhatsApp refuse (the access token expired).
    expect(res.statusCode).toBe(200)
    const token = server.simulatorState().accessToken
    server.simulatorState().accessToken = 'revoked'
    try {
      const refused = await put({ ...PROFILE, about: 'Nicht gespeichert' })
      expect(refused.statusCode).toBe(502)
      expect(refused.json().detail).toMatch(/WhatsApp did not accept the profile/)
      const kept = await agent.inject({ method: 'GET', url: '/api/business-profile' })
      expect(kept.json()).toMatchObject({ about: 'Neu', sync: { ok: false } })
    } finally {
      server.simulatorState().accessToken = token
    }
  })
})

describe(`${DIALECT}: the business profile picture (PUT /api/business-profile/picture)`, () => {
  const ctx = useTestServer({ team: true })
  // A 1×1 PNG and the start of a JPEG.
  const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
  const put = (caller: Caller, body: Buffer, type: string) => caller.inject({ method: 'PUT', url: '/api/business-profile/picture', headers: { 'content-type': type }, payload: body })

  it('uploads through the Meta app and sets the picture; refuses what is not a JPEG or PNG, too large, or not an admin', async () => {
    const { server, admin, agent } = ctx
    expect((await agent.inject({ method: 'GET', url: '/api/business-profile' })).json().profilePicture).toBe(false)
    expect((await put(admin, PNG, 'image/png')).statusCode).toBe(204)
    expect(server.simulatorState().profilePicture).toEqual({ bytes: PNG, type: 'image/png' })
    expect((await agent.inject({ method: 'GET', url: '/api/business-profile' })).json().profilePicture).toBe(true)

    const wrong = await put(admin, Buffer.from('not a picture at all'), 'image/jpeg')
    expect(wrong.statusCode).toBe(400)
    expect(wrong.json().type).toMatch(/not-an-image$/)
    expect((await put(admin, PNG, 'image/gif')).statusCode).toBe(415)
    // A JSON or text body is parsed by the app's own parsers before the route sees it: still 415, never a 500.
    for (const type of ['application/json', 'text/plain']) {
      const notBytes = await put(admin, Buffer.from('{"picture":"data:image/png;base64,AAAA"}'), type)
      expect(notBytes.statusCode, type).toBe(415)
      expect(notBytes.json().detail).toMatch(/image\/jpeg or image\/png/)
    }
    expect((await put(admin, Buffer.concat([PNG, Buffer.alloc(6 * 1024 * 1024)]), 'image/png')).statusCode).toBe(413)
    expect((await put(agent, PNG, 'image/png')).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'PUT', url: '/api/business-profile/picture', headers: { 'content-type': 'image/png' }, payload: PNG })).statusCode).toBe(401)
    expect(server.simulatorState().profilePicture!.bytes).toEqual(PNG)
  })
})
