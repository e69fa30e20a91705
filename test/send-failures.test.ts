import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAGIC_RECIPIENTS, SIMULATOR_DEFAULTS } from '../src/simulator/index.js'
import type { JournalSealer } from '../src/modules/archive/journal-sealer.js'
import type { GraphClient } from '../src/modules/whatsapp/graph-client.js'
import { customerWrites, DIALECT, eventually, startTestServer, type Caller, type TestServer } from './helpers.js'

describe(`${DIALECT}: send failures, pauses and crash recovery`, () => {
  let server: TestServer
  let agent: Caller
  let admin: Caller
  beforeAll(async () => {
    server = await startTestServer()
    agent = await server.login('agent')
    admin = await server.login('admin')
  })
  afterAll(() => server.stop())

  const conversationWith = async (waId: string) => (await customerWrites(server, waId)).conversationId
  const message = (id: string) => server.database.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  const sentTo = (id: string) => server.simulatorState().sent.filter((s) => s.bizOpaque === id).length

  it('pauses the channel on an invalid token instead of burning through the queue, and resumes', async () => {
    const conversationId = await conversationWith('4915133000001')
    const sim = server.simulatorState()
    sim.accessToken = 'rotated-at-meta'
    const res = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Hallo?' } } })
    const id = res.json().id
    const channels = await eventually(async () => {
      const list = (await agent.inject({ method: 'GET', url: '/api/channels' })).json().items
      return list[0].paused ? list : undefined
    })
    expect(channels[0].paused.reason).toBe('token-invalid')
    expect((await message(id)).status).toBe('queued')
    expect(sentTo(id)).toBe(0)

    sim.accessToken = SIMULATOR_DEFAULTS.accessToken
    expect((await agent.inject({ method: 'POST', url: `/api/channels/${SIMULATOR_DEFAULTS.phoneNumberId}/resume` })).statusCode).toBe(403)
    const resumed = await admin.inject({ method: 'POST', url: `/api/channels/${SIMULATOR_DEFAULTS.phoneNumberId}/resume` })
    expect(resumed.json().paused).toBeNull()
    // The job was put back 30 s ahead; make it due now, as the next poll would after the pause.
    await server.database.db.updateTable('jobs').set({ run_at: new Date().toISOString() }).where('state', '=', 'queued').execute()
    server.sendWorker.poke()
    await eventually(async () => (await message(id)).wamid)
    expect(sentTo(id)).toBe(1)
  })

  it('retries transient Graph errors with backoff and fails after the last attempt', async () => {
    const res = await agent.inject({ method: 'POST', url: '/api/messages', payload: { to: MAGIC_RECIPIENTS.syncServerError, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } })
    const id = res.json().id
    const job = await eventually(() => server.database.db.selectFrom('jobs').selectAll().where('payload', 'like', `%${id}%`).where('attempts', '>=', 1).where('state', '=', 'queued').executeTakeFirst())
    expect(job.last_error).toMatch(/131000|went wrong/)
    expect(Date.parse(job.run_at)).toBeGreaterThan(Date.now() - 100)
    expect((await message(id)).status).toBe('queued')
  })

  it('marks a send abandoned by a dead worker as uncertain, never resends it by itself, and resends on request', async () => {
    const conversationId = await conversationWith('4915133000002')
    const res = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Zwischen Tür und Angel' } } })
    const id = res.json().id
    await eventually(async () => (await message(id)).wamid)
    // A second message whose worker "died" after claiming it: running, lease expired.
    await server.sendWorker.stop()
    const lost = (await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Verloren?' } } })).json().id
    await server.database.db.updateTable('jobs').set({ state: 'running', attempts: 1, lease_until: new Date(Date.now() - 1000).toISOString() }).where('payload', 'like', `%${lost}%`).execute()
    server.sendWorker.start() // a restart
    await eventually(async () => (await message(lost)).status === 'uncertain')
    expect(sentTo(lost)).toBe(0)

    const api = (await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages` })).json().items.find((m: { id: string }) => m.id === lost)
    expect(api.status).toBe('uncertain')
    const resend = await agent.inject({ method: 'POST', url: `/api/messages/${lost}/resend` })
    expect(resend.statusCode).toBe(202)
    await eventually(async () => (await message(lost)).wamid)
    expect(sentTo(lost)).toBe(1)
    // A sent message cannot be "resent".
    expect((await agent.inject({ method: 'POST', url: `/api/messages/${id}/resend` })).statusCode).toBe(409)
  })

  it('does not send a job twice when two workers race for it', async () => {
    const conversationId = await conversationWith('4915133000003')
    await server.sendWorker.stop()
    const ids: string[] = []
    for (let i = 0; i < 4; i++) ids.push((await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: `Nr. ${i}` } } })).json().id)
    const { SendWorker } = await import('../src/modules/outbound/send-worker.js')
    const { MediaUploader } = await import('../src/modules/outbound/media-uploader.js')
    const second = new SendWorker({ database: server.database, graph: server.graph, media: new MediaUploader(server.database.db, server.mediaStore, server.graph), messagesPerSecond: 80, vault: server.vault, log: server.app.log })
    server.sendWorker.start()
    second.start()
    await eventually(async () => {
      for (const id of ids) if (!(await message(id)).wamid) return false
      return true
    })
    await second.stop()
    for (const id of ids) expect(sentTo(id)).toBe(1)
    // In order, as the agent wrote them.
    const bodies = server.simulatorState().sent.filter((s) => s.recipient === '4915133000003').map((s) => (s.body.text as { body: string }).body)
    expect(bodies).toEqual(ids.map((_, i) => `Nr. ${i}`))
  })

  it('gives claimed jobs back when reading their messages fails, and sends them once the database answers again', async () => {
    const conversationId = await conversationWith('4915133000004')
    await server.sendWorker.stop()
    const id = (await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Trotz Störung' } } })).json().id
    const { SendWorker } = await import('../src/modules/outbound/send-worker.js')
    const { MediaUploader } = await import('../src/modules/outbound/media-uploader.js')
    // The first read of the claimed messages fails (a dropped connection, say); later ones work.
    let failures = 0
    const vault = new Proxy(server.vault, {
      get(target, prop, receiver) {
        if (prop === 'open' && failures === 0) {
          return () => {
            failures++
            return Promise.reject(new Error('connection terminated unexpectedly'))
          }
        }
        const value = Reflect.get(target, prop, receiver)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const worker = new SendWorker({ database: server.database, graph: server.graph, media: new MediaUploader(server.database.db, server.mediaStore, server.graph), messagesPerSecond: 80, vault, log: server.app.log })
    worker.start()
    try {
      // Sent within seconds — not left running until the 60 s lease ends and then marked uncertain.
      await eventually(async () => (await message(id)).wamid)
    } finally {
      await worker.stop()
      server.sendWorker.start()
    }
    expect(failures).toBe(1)
    expect((await message(id)).status).not.toBe('uncertain')
    expect(sentTo(id)).toBe(1)
    const job = await server.database.db.selectFrom('jobs').select(['state', 'attempts', 'last_error']).where('payload', 'like', `%${id}%`).executeTakeFirstOrThrow()
    expect(job).toMatchObject({ state: 'done', attempts: 2 })
    expect(job.last_error).toMatch(/could not load the message/)
  })
  /**
   * Sends one message through a second worker whose Graph client and journal sealer (used only to
   * record accepted sends) are wrapped as given; answers the stored message and its job once done.
   */
  const sendThrough = async (waId: string, wrap: { sendMessage?: (real: GraphClient['sendMessage']) => GraphClient['sendMessage']; seal?: (real: JournalSealer['seal']) => JournalSealer['seal'] }) => {
    const conversationId = await conversationWith(waId)
    await server.sendWorker.stop()
    const id: string = (await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Angenommen, aber noch nicht notiert' } } })).json().id
    const { SendWorker } = await import('../src/modules/outbound/send-worker.js')
    const { MediaUploader } = await import('../src/modules/outbound/media-uploader.js')
    const wrapped = <T extends object>(target: T, method: keyof T & string, by: ((real: never) => unknown) | undefined): T => {
      if (!by) return target
      const replacement = by((target[method] as (...a: unknown[]) => unknown).bind(target) as never)
      return new Proxy(target, { get: (t, prop, receiver) => (prop === method ? replacement : Reflect.get(t, prop, receiver)) })
    }
    const worker = new SendWorker({
      database: server.database,
      graph: wrapped(server.graph, 'sendMessage', wrap.sendMessage),
      media: new MediaUploader(server.database.db, server.mediaStore, server.graph),
      messagesPerSecond: 80,
      vault: server.vault,
      sealer: wrapped(server.sealer, 'seal', wrap.seal),
      log: server.app.log,
    })
    worker.start()
    const job = () => server.database.db.selectFrom('jobs').select(['state', 'attempts']).where('payload', 'like', `%${id}%`).executeTakeFirstOrThrow()
    try {
      await eventually(async () => !['queued', 'running'].includes((await job()).state))
    } finally {
      await worker.stop()
      server.sendWorker.start()
    }
    return { id, stored: await message(id), job: await job() }
  }

  const expectRecorded = ({ id, stored, job }: Awaited<ReturnType<typeof sendThrough>>) => {
    expect(job).toEqual({ state: 'done', attempts: 1 })
    expect(['sent', 'delivered', 'read']).toContain(stored.status) // the simulator's statuses may have followed
    expect(stored.wamid).toBe(server.simulatorState().sent.find((s) => s.bizOpaque === id)?.wamid)
    expect(stored.journal_seq).not.toBeNull() // its archive record: the inclusion proof names it
    expect(sentTo(id)).toBe(1)
  }

  it('tries the record of an accepted send again when the database fails it once, instead of calling the send uncertain', async () => {
    // Meta accepts the send; the first transaction recording it fails inside (reading the data key, say).
    let tries = 0
    const sent = await sendThrough('4915133000005', { seal: (real) => (...args) => (tries++ === 0 ? Promise.reject(new Error('connection terminated unexpectedly')) : real(...args)) })
    expect(tries).toBe(2)
    expectRecorded(sent)
  })

  it('records an accepted send whose status webhook came before its send response', async () => {
    // Meta's "delivered" arrives and names the message before our side has taken in Meta's answer.
    let overtaken = false
    const sent = await sendThrough('4915133000006', {
      sendMessage: (real) => async (phoneNumberId, body) => {
        const response = await real(phoneNumberId, body)
        await eventually(async () => ['delivered', 'read'].includes((await message(String(body.biz_opaque_callback_data))).status))
        overtaken = true
        return response
      },
    })
    expect(overtaken).toBe(true)
    expectRecorded(sent)
    expect(sent.stored.status).not.toBe('sent') // the later status stays
  })
})
