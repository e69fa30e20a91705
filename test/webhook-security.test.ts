import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signBody } from '../src/modules/whatsapp/signature.js'
import { SIMULATOR_DEFAULTS } from '../src/simulator/index.js'
import { APP_SECRET, count, DIALECT, readFixture, startTestServer, type TestServer } from './helpers.js'

describe(`${DIALECT}: webhook endpoint guards`, () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.stop())

  const verify = (q: Record<string, string | undefined>) => server.app.inject({ method: 'GET', url: '/webhooks/whatsapp', query: q as Record<string, string> })

  it('answers the verification handshake with the challenge when the token matches', async () => {
    const res = await verify({ 'hub.mode': 'subscribe', 'hub.verify_token': SIMULATOR_DEFAULTS.verifyToken, 'hub.challenge': '1158201444' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe('1158201444')
  })

  it('refuses the handshake with 403 for a wrong token, a wrong mode or no challenge', async () => {
    for (const q of [
      { 'hub.mode': 'subscribe', 'hub.verify_token': 'wrong', 'hub.challenge': '1' },
      { 'hub.mode': 'unsubscribe', 'hub.verify_token': SIMULATOR_DEFAULTS.verifyToken, 'hub.challenge': '1' },
      { 'hub.mode': 'subscribe', 'hub.verify_token': SIMULATOR_DEFAULTS.verifyToken },
    ]) {
      const res = await verify(q)
      expect(res.statusCode).toBe(403)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
  })

  it('rejects a missing, malformed or wrong signature with 401 and stores nothing', async () => {
    const body = readFixture('text.json')
    const before = await count(server, 'journal')
    for (const signature of [null, 'sha1=abc', 'sha256=' + '0'.repeat(64), signBody('another-secret', body), signBody(APP_SECRET, body + ' ')]) {
      const res = await server.webhook(body, { signature })
      expect(res.statusCode).toBe(401)
      expect(res.json().type).toMatch(/bad-signature$/)
    }
    expect(await count(server, 'journal')).toBe(before)
  })

  it('verifies the signature over the raw bytes, not a re-serialisation', async () => {
    // Meta escapes non-ASCII as \u00e4; the same object serialised by us has other bytes.
    const raw = readFixture('image.json')
    expect(raw).toContain('\\u00e4')
    const reserialised = JSON.stringify(JSON.parse(raw))
    const res = await server.webhook(raw, { signature: signBody(APP_SECRET, reserialised) })
    expect(res.statusCode).toBe(401)
  })

  it('answers 400 to a signed body that is not JSON, and to JSON that is no webhook', async () => {
    const before = await count(server, 'journal')
    const notJson = await server.webhook('{"object": "whatsapp_business_account", "entry": [')
    expect(notJson.statusCode).toBe(400)
    expect(notJson.json().type).toMatch(/malformed-json$/)
    const wrongShape = await server.webhook('[1,2,3]')
    expect(wrongShape.statusCode).toBe(400)
    expect(await count(server, 'journal')).toBe(before)
  })

  it('answers 400 to a body nested absurdly deep (it would overflow recursive code), and counts no bracket inside a string', async () => {
    const before = await count(server, 'journal')
    const text = readFixture('text.json')
    const deep = '['.repeat(10_000) + '1' + ']'.repeat(10_000)
    for (const body of [text.slice(0, text.lastIndexOf('}')) + `,"x":${deep}}`, text.replace('"type": "text"', `"type": "text", "x": ${deep}`)]) {
      expect(body).not.toBe(text)
      const res = await server.webhook(body)
      expect(res.statusCode).toBe(400)
      expect(res.json().detail).toMatch(/deeper than 64 levels/)
    }
    expect(await count(server, 'journal')).toBe(before)

    const bracketsInText = JSON.parse(text)
    bracketsInText.entry[0].changes[0].value.messages[0].id = 'wamid.brackets-in-text'
    bracketsInText.entry[0].changes[0].value.messages[0].text.body = '[[[{{{ \\" '.repeat(100)
    expect((await server.webhook(bracketsInText)).statusCode).toBe(200)
    expect(await count(server, 'journal')).toBe(before + 1)
  })

  it('answers 413 to a body over 3 MB', async () => {
    const big = JSON.stringify({ object: 'whatsapp_business_account', entry: [], pad: 'x'.repeat(3 * 1024 * 1024) })
    const before = await count(server, 'journal')
    const res = await server.webhook(big)
    expect(res.statusCode).toBe(413)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(await count(server, 'journal')).toBe(before)
  })

  it('stores an unknown message type as unsupported with its raw JSON', async () => {
    const body = JSON.parse(readFixture('text.json'))
    const m = body.entry[0].changes[0].value.messages[0]
    m.id = 'wamid.unknown-type-1'
    m.type = 'hologram'
    m.hologram = { depth: 3 }
    m.brand_new_field = true
    delete m.text
    expect((await server.webhook(body)).statusCode).toBe(200)
    const [row] = await server.vault.open(server.database.db, [await server.database.db.selectFrom('messages').selectAll().where('wamid', '=', 'wamid.unknown-type-1').executeTakeFirstOrThrow()])
    expect(row!.type).toBe('unsupported')
    expect(JSON.parse(row!.content)).toMatchObject({ type: 'hologram', hologram: { depth: 3 }, brand_new_field: true })
  })

  it('stores a webhook whose plain fields hold a NUL character (PostgreSQL text cannot), with U+FFFD in their place', async () => {
    const body = JSON.parse(readFixture('document.json'))
    const m = body.entry[0].changes[0].value.messages[0]
    m.id = 'wamid.nul\u0000id'
    m.document.filename = 'Rechnung\u0000.pdf' // written by the customer
    const unrouted = JSON.parse(readFixture('text.json'))
    unrouted.entry[0].changes[0].value.metadata.phone_number_id = '99\u000099'
    const before = await count(server, 'journal')
    expect((await server.webhook(body)).statusCode).toBe(200)
    expect((await server.webhook(unrouted)).statusCode).toBe(200)
    expect(await count(server, 'journal')).toBe(before + 2)
    const [row] = await server.vault.open(server.database.db, [await server.database.db.selectFrom('messages').selectAll().where('wamid', '=', 'wamid.nul\uFFFDid').executeTakeFirstOrThrow()])
    expect(JSON.parse(row!.content).document.filename).toBe('Rechnung\uFFFD.pdf')
    expect(await server.database.db.selectFrom('media').select('id').where('id', '=', row!.id).executeTakeFirst()).toBeDefined()
    const flagged = await server.database.db.selectFrom('unrouted_events').select('phone_number_id').execute()
    expect(flagged.map((f) => f.phone_number_id)).toContain('99\uFFFD99')
  })

  it('keeps and flags an entry for a phone number id that is not configured, answering 200', async () => {
    const body = JSON.parse(readFixture('text.json'))
    body.entry[0].changes[0].value.metadata.phone_number_id = '999999999999999'
    body.entry[0].changes[0].value.messages[0].id = 'wamid.foreign-number'
    const res = await server.webhook(body)
    expect(res.statusCode).toBe(200)
    const flagged = await server.database.db.selectFrom('unrouted_events').selectAll().execute()
    expect(flagged.map((f) => f.phone_number_id)).toContain('999999999999999')
    expect(await server.database.db.selectFrom('messages').select('id').where('wamid', '=', 'wamid.foreign-number').executeTakeFirst()).toBeUndefined()
  })

  it('answers 503 when the database cannot commit, so that Meta retries, and stores it on redelivery', async () => {
    const { sql } = await import('kysely')
    const body = JSON.parse(readFixture('text.json'))
    body.entry[0].changes[0].value.messages[0].id = 'wamid.during-outage'
    const before = await count(server, 'messages')
    await sql`alter table journal rename to journal_offline`.execute(server.database.db)
    try {
      const res = await server.webhook(body)
      expect(res.statusCode).toBe(503)
      expect(res.json().type).toMatch(/unavailable$/)
    } finally {
      await sql`alter table journal_offline rename to journal`.execute(server.database.db)
    }
    expect(await count(server, 'messages')).toBe(before)
    expect((await server.webhook(body)).statusCode).toBe(200)
    expect(await count(server, 'messages')).toBe(before + 1)
  })

  it('refuses UPDATE and DELETE on the journal at the database level', async () => {
    await expect(server.database.db.updateTable('journal').set({ kind: 'x' }).execute()).rejects.toThrow(/append-only/)
    await expect(server.database.db.deleteFrom('journal').execute()).rejects.toThrow(/append-only/)
  })
})
