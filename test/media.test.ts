import { createHash } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, eventually, useTestServer, type Caller, type TestServer } from './helpers.js'

/** A multipart body as a browser would send it. */
async function multipart(bytes: Buffer, mimeType: string, filename: string, field = 'file') {
  const form = new FormData()
  form.set(field, new Blob([new Uint8Array(bytes)], { type: mimeType }), filename)
  const res = new Response(form)
  return { payload: Buffer.from(await res.arrayBuffer()), headers: { 'content-type': res.headers.get('content-type')! } }
}

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

describe(`${DIALECT}: media in and out`, () => {
  const ctx = useTestServer()
  let server: TestServer
  let agent: Caller
  beforeAll(() => {
    ;({ server, agent } = ctx)
  })

  it('downloads inbound media into the store, checks its digest and serves it', async () => {
    const sim = server.simulatorState()
    const id = sim.storeMedia(PNG, 'image/png')
    const sha256 = createHash('sha256').update(PNG).digest('base64')
    const wamid = sim.customerSends('4915144000001', 'Foto', 'image', { mime_type: 'image/png', sha256, id, caption: 'Schaden' })
    const row = await eventually(() => server.database.db.selectFrom('messages').selectAll().where('wamid', '=', wamid).executeTakeFirst())
    const stored = await eventually(() => server.database.db.selectFrom('media').selectAll().where('id', '=', row.id).where('state', '=', 'stored').executeTakeFirst())
    expect(stored.sha256).toBe(createHash('sha256').update(PNG).digest('hex'))
    const file = await agent.inject({ method: 'GET', url: `/api/media/${row.id}` })
    expect(file.statusCode).toBe(200)
    expect(file.headers['content-type']).toBe('image/png')
    expect(file.rawPayload.equals(PNG)).toBe(true)
    const api = (await agent.inject({ method: 'GET', url: `/api/conversations/${row.conversation_id}/messages` })).json().items[0]
    expect(api.image).toMatchObject({ mediaId: row.id, mediaState: 'stored', caption: 'Schaden', mimeType: 'image/png' })
  })

  it('refuses media whose bytes do not match Meta\'s digest, and says so while retrying', async () => {
    const sim = server.simulatorState()
    const id = sim.storeMedia(PNG, 'image/png')
    const wamid = sim.customerSends('4915144000002', 'Foto', 'image', { mime_type: 'image/png', sha256: 'AAAA' + createHash('sha256').update('other').digest('base64').slice(4), id })
    const row = await eventually(() => server.database.db.selectFrom('messages').selectAll().where('wamid', '=', wamid).executeTakeFirst())
    const job = await eventually(() => server.database.db.selectFrom('jobs').selectAll().where('payload', 'like', `%${row.id}%`).where('last_error', 'is not', null).executeTakeFirst())
    expect(job.last_error).toMatch(/sha256 mismatch/)
    const media = await agent.inject({ method: 'GET', url: `/api/media/${row.id}` })
    expect(media.statusCode).toBe(409)
    expect(media.json().state).toBe('pending')
  })

  it('uploads a file and sends it as an image through the Graph media upload', async () => {
    const upload = await agent.inject({ method: 'POST', url: '/api/media', ...(await multipart(PNG, 'image/png', 'lageplan.png')) })
    expect(upload.statusCode).toBe(201)
    const media = upload.json()
    expect(media).toMatchObject({ mimeType: 'image/png', size: PNG.length, filename: 'lageplan.png' })

    const { conversationId: conversation_id } = await customerWrites(server, '4915144000003', 'Wo?')
    const sent = await agent.inject({ method: 'POST', url: `/api/conversations/${conversation_id}/messages`, payload: { type: 'image', image: { id: media.id, caption: 'Hier' } } })
    expect(sent.statusCode).toBe(202)
    const row = await eventually(() => server.database.db.selectFrom('messages').selectAll().where('id', '=', sent.json().id).where('wamid', 'is not', null).executeTakeFirst())
    const graphBody = server.simulatorState().sent.find((s) => s.bizOpaque === row.id)!.body as { image: { id: string; caption: string } }
    expect(graphBody.image.caption).toBe('Hier')
    expect(server.simulatorState().media.get(graphBody.image.id)?.bytes.equals(PNG)).toBe(true)
  })

  it('refuses uploads of unsupported types, oversized files, non-multipart bodies and unknown media', async () => {
    const exe = await agent.inject({ method: 'POST', url: '/api/media', ...(await multipart(Buffer.from('MZ'), 'application/x-msdownload', 'x.exe')) })
    expect(exe.statusCode).toBe(415)
    const big = await agent.inject({ method: 'POST', url: '/api/media', ...(await multipart(Buffer.alloc(5 * 1024 * 1024 + 1), 'image/jpeg', 'big.jpg')) })
    expect(big.statusCode).toBe(413)
    const json = await agent.inject({ method: 'POST', url: '/api/media', payload: { file: 'x' } })
    expect(json.statusCode).toBe(415)
    expect((await agent.inject({ method: 'GET', url: '/api/media/nope' })).statusCode).toBe(404)
    const { conversationId: conversation_id } = await customerWrites(server, '4915144000004', 'Hi')
    const missing = await agent.inject({ method: 'POST', url: `/api/conversations/${conversation_id}/messages`, payload: { type: 'image', image: { id: 'not-uploaded' } } })
    expect(missing.statusCode).toBe(400)
  })
})
