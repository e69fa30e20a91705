import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECT, eventually } from './helpers.js'
import { freePort, processDatabase, ServerProcess } from './process.js'

type Item = { from: 'customer' | 'business'; wamid: string; content: { body?: string }; read?: boolean }

/**
 * `npm start` without WhatsApp credentials: the built-in simulator stands in for Meta and the
 * customers' phones, and like them it remembers the chats when Postfach restarts.
 */
describe(`${DIALECT}: the built-in simulator across restarts`, () => {
  const CUSTOMER = '4915170000001'
  let db: Awaited<ReturnType<typeof processDatabase>>
  let server: ServerProcess
  const memoryFile = () => path.join(db.dataDir, 'simulator.sealed')

  beforeAll(async () => {
    db = await processDatabase()
    server = new ServerProcess(await freePort(), { ...db.env, POSTFACH_ADMIN_EMAIL: 'sim@example.com', POSTFACH_ADMIN_PASSWORD: 'simulator-pass-1' })
    await server.start()
  }, 60_000)
  afterAll(async () => {
    await server.kill()
    await db.cleanup()
  })

  const customerWrites = async (body: string) => {
    const res = await fetch(`${server.url}/simulator/api/customers/${CUSTOMER}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'text', body, name: 'Erika Muster' }) })
    expect(res.status).toBe(201)
    return ((await res.json()) as { wamid: string }).wamid
  }
  const phone = async (): Promise<Item[]> => ((await (await fetch(`${server.url}/simulator/api/customers/${CUSTOMER}/messages`)).json()) as { items: Item[] }).items
  const signIn = async () => {
    const res = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'sim@example.com', password: 'simulator-pass-1' }) })
    expect(res.status).toBe(200)
    const { csrfToken } = (await res.json()) as { csrfToken: string }
    const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
    return (method: string, url: string, body?: object) =>
      fetch(`${server.url}${url}`, { method, headers: { cookie, 'x-csrf-token': csrfToken, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) })
  }
  const conversationId = async (call: Awaited<ReturnType<typeof signIn>>) =>
    eventually(async () => ((await (await call('GET', '/api/conversations')).json()) as { items: { id: string }[] }).items[0]?.id)

  it('keeps the customer phone’s chat, sealed, over a restart; a read receipt for a message from before it is taken', async () => {
    const question = await customerWrites('Ist mein Paket schon unterwegs?')
    let call = await signIn()
    const id = await conversationId(call)
    expect((await call('POST', `/api/conversations/${id}/messages`, { type: 'text', text: { body: 'Ja, seit heute früh.' } })).status).toBe(202)
    await eventually(async () => (await phone()).some((m) => m.from === 'business'))

    await server.stop()
    // Sealed with the master key: neither the words nor the number are in the file.
    const sealed = fs.readFileSync(memoryFile(), 'utf8')
    for (const plain of ['Paket', 'seit heute', CUSTOMER, 'Erika']) expect(sealed).not.toContain(plain)

    await server.start()
    expect((await phone()).map((m) => [m.from, m.content.body])).toEqual([
      ['customer', 'Ist mein Paket schon unterwegs?'],
      ['business', 'Ja, seit heute früh.'],
    ])
    call = await signIn()
    const read = await call('POST', `/api/conversations/${id}/read`)
    expect(read.status).toBe(200)
    expect(await read.json()).toEqual({ wamid: question, typing: false })
    expect((await phone()).find((m) => m.wamid === question)?.read).toBe(true)
  })

  it('keeps what was written up to a moment before a crash', async () => {
    const before = fs.readFileSync(memoryFile(), 'utf8')
    await customerWrites('Und wann kommt es an?')
    // Written in the background within seconds of the change; then the process dies without shutting down.
    await eventually(() => fs.readFileSync(memoryFile(), 'utf8') !== before)
    await server.kill()
    await server.start()
    expect((await phone()).filter((m) => m.from === 'customer').map((m) => m.content.body)).toEqual(['Ist mein Paket schon unterwegs?', 'Und wann kommt es an?'])
  })
})
