import { beforeAll, describe, expect, it } from 'vitest'
import { messagesEnvelope } from '../src/simulator/payloads.js'
import { count, customerWrites, DIALECT, useTestServer, type Caller, type TestServer } from './helpers.js'

/**
 * Meta's webhooks are arrays at every level, and the Graph webhook documentation speaks of up to
 * 1,000 updates in one POST; our 3 MB body limit admits more. Every body it admits is stored: its
 * journal entry is sealed for every customer it names, and its rows go into statements split
 * under both engines' parameter limits (SQLite binds at most 32,766 values per statement).
 */
describe(`${DIALECT}: one webhook batching thousands of customers' updates`, () => {
  const ctx = useTestServer()
  let server: TestServer
  let agent: Caller
  beforeAll(() => {
    ;({ server, agent } = ctx)
  })

  it('stores 2,500 messages from 2,500 customers: every message, contact and search term, and the body sealed, opening to the bytes received', async () => {
    const N = 2500
    const identity = server.simulatorState().identity
    const at = String(Math.floor(Date.now() / 1000))
    const waId = (i: number) => `49152${String(i).padStart(8, '0')}`
    const body = JSON.stringify(
      messagesEnvelope(identity, {
        contacts: Array.from({ length: N }, (_, i) => ({ profile: { name: `Kundin ${i}` }, wa_id: waId(i) })),
        // Fifteen values per new contact and eleven index terms per message: more than one statement may bind on SQLite.
        messages: Array.from({ length: N }, (_, i) => ({ from: waId(i), id: `wamid.batch-${i}`, timestamp: at, type: 'text', text: { body: `Zeile${String(i).padStart(4, '0')} bitte prüfen: Lieferung, Rechnung, Adresse` } })),
      }),
    )
    const before = { messages: await count(server, 'messages'), contacts: await count(server, 'contacts'), journal: await count(server, 'journal') }
    expect((await server.webhook(body)).statusCode).toBe(200)
    expect(await count(server, 'messages')).toBe(before.messages + N)
    expect(await count(server, 'contacts')).toBe(before.contacts + N)

    const { db } = server.database
    const entry = await db.selectFrom('journal').select(['content', 'key_id']).where('kind', '=', 'whatsapp.webhook').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow()
    expect(entry.key_id!.split(',')).toHaveLength(N)
    expect(Buffer.from(entry.content!).includes(Buffer.from(waId(N - 1)))).toBe(false)
    expect((await server.sealer.open(db, Buffer.from(entry.content!)))!.payload.toString('utf8')).toBe(body)

    // The first and the last message are found by their own word (the terms of both ends of the batch were stored).
    for (const i of [0, N - 1]) {
      const word = `Zeile${String(i).padStart(4, '0')}`
      const found = (await agent.inject({ method: 'GET', url: `/api/search?q=${word}` })).json().messages as { wamid?: string; id: string }[]
      expect(found).toHaveLength(1)
      const row = await db.selectFrom('messages').select('wamid').where('id', '=', found[0]!.id).executeTakeFirstOrThrow()
      expect(row.wamid).toBe(`wamid.batch-${i}`)
    }
  }, 60_000)

  it('stores 20,000 statuses for 20,000 recipients from one POST of about 2 MB (a campaign reported in a batch)', async () => {
    const N = 20_000
    const identity = server.simulatorState().identity
    const at = String(Math.floor(Date.now() / 1000))
    const body = messagesEnvelope(identity, { statuses: Array.from({ length: N }, (_, i) => ({ id: `wamid.campaign-${i}`, status: 'delivered', timestamp: at, recipient_id: `49153${String(i).padStart(8, '0')}` })) })
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(3 * 1024 * 1024)
    const before = await count(server, 'message_statuses')
    expect((await server.webhook(body)).statusCode).toBe(200)
    expect(await count(server, 'message_statuses')).toBe(before + N)
    const entry = await server.database.db.selectFrom('journal').select('key_id').where('kind', '=', 'whatsapp.webhook').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow()
    expect(entry.key_id!.split(',')).toHaveLength(N)
  }, 60_000)

  it('opens a body sealed by the earlier release (PFS1, a two-byte header length) as before', async () => {
    const { db } = server.database
    await customerWrites(server, '4915300000001', 'Eine einzelne Nachricht')
    const entry = await db.selectFrom('journal').select(['content']).where('kind', '=', 'whatsapp.webhook').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow()
    const current = Buffer.from(entry.content!)
    expect(current.subarray(0, 4).toString('latin1')).toBe('PFS2')
    const headerLength = current.readUInt32BE(4)
    const earlier = Buffer.concat([Buffer.from('PFS1'), Buffer.from([headerLength >> 8, headerLength & 0xff]), current.subarray(8)])
    const opened = await server.sealer.open(db, earlier)
    expect(opened!.payload.equals((await server.sealer.open(db, current))!.payload)).toBe(true)
    expect(opened!.payload.toString('utf8')).toContain('Eine einzelne Nachricht')
  })
})
