import { createHash } from 'node:crypto'
import { unzipSync, zipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyArchive } from '../src/modules/archive/verify.js'
import { type Caller, contactByNumber, customerWrites, DIALECT, eventually, startTestServer, type TestServer, useTestServer } from './helpers.js'

type Json = Record<string, any>
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
const zip = (files: Record<string, string | Uint8Array>) => Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? Buffer.from(v) : v]))))
/** What must survive the move: everything but the ids each instance gives and the pseudonyms. */
const portable = (m: Json) => {
  const { id: _id, conversationId: _c, sentBy: _s, ...rest } = m
  const content = { ...(rest[m.type] ?? {}) }
  delete content.mediaId
  return { ...rest, [m.type]: content }
}

describe(`${DIALECT}: GDPR-20 a person's data moves to another Postfach and back out unchanged`, () => {
  const source = useTestServer({ team: true })
  let target: TestServer
  let targetAdmin: Caller
  let targetAgent: Caller
  let pkg: Buffer
  let exported: Json

  beforeAll(async () => {
    const { server, agent, admin } = source
    const waId = '4915400000020'
    const { conversationId } = await customerWrites(server, waId, 'Bitte übertragen Sie meine Daten.', 'Paula Umzug')
    const sim = server.simulatorState()
    const imageWamid = sim.customerSends(waId, 'Paula Umzug', 'image', { mime_type: 'image/png', sha256: createHash('sha256').update(PNG).digest('base64'), id: sim.storeMedia(PNG, 'image/png'), caption: 'Rechnung' })
    await eventually(() => server.database.db.selectFrom('media').innerJoin('messages', 'messages.id', 'media.id').select('media.state').where('messages.wamid', '=', imageWamid).where('media.state', '=', 'stored').executeTakeFirst())
    const reply = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Gern, das Paket folgt.' } } })
    expect(reply.statusCode).toBe(202)
    await eventually(async () => (await server.database.db.selectFrom('messages').select('status').where('id', '=', reply.json().id).executeTakeFirstOrThrow()).status === 'read')
    await customerWrites(server, waId, 'STOP', 'Paula Umzug') // an objection travels with the data
    const contact = (await contactByNumber(server, waId))!
    const res = await admin.inject({ method: 'GET', url: `/api/contacts/${contact.id}/export` })
    expect(res.statusCode).toBe(200)
    pkg = res.rawPayload
    exported = JSON.parse(Buffer.from(unzipSync(pkg)['data.json']!).toString('utf8'))

    target = await startTestServer()
    targetAdmin = await target.login('admin')
    targetAgent = await target.login('agent')
  }, 60_000)
  afterAll(() => target?.stop())

  const post = (caller: Caller | undefined, body: Buffer, type = 'application/zip') =>
    (caller ?? { inject: target.app.inject.bind(target.app) }).inject({ method: 'POST', url: '/api/contacts/import', payload: body, headers: { 'content-type': type } })

  it('refuses what is not a package, and those who may not import, changing nothing', async () => {
    const contacts = async () => (await target.database.db.selectFrom('contacts').select('id').execute()).length
    const before = await contacts()
    expect((await post(targetAdmin, Buffer.from('not a zip'))).json()).toMatchObject({ status: 400, detail: 'The upload is not a ZIP file.' })
    expect((await post(targetAdmin, zip({ 'index.html': '<p>' }))).json()).toMatchObject({ status: 400, field: 'data.json' })
    expect((await post(targetAdmin, zip({ 'data.json': '{"format":"something else"}' }))).json()).toMatchObject({ status: 400, detail: 'data.json does not match the published schema.' })
    // A media file that is not the one the package describes.
    const files = unzipSync(pkg)
    const mediaFile = Object.keys(files).find((f) => f.startsWith('media/'))!
    expect((await post(targetAdmin, zip({ ...files, [mediaFile]: Buffer.from('tampered') }))).json()).toMatchObject({ status: 400, field: mediaFile })
    expect((await post(targetAgent, pkg)).statusCode).toBe(403)
    expect((await post(undefined, pkg)).statusCode).toBe(401)
    expect((await post(targetAdmin, Buffer.alloc(100 * 1024 * 1024 + 1))).statusCode).toBe(413)
    expect(await contacts()).toBe(before)
    expect(await target.database.db.selectFrom('journal').select('seq').where('kind', '=', 'privacy.import').execute()).toEqual([])
  })

  it('takes the package over: contact, messages with statuses and media, objection kept, consents not carried over; the archive verifies', async () => {
    const res = await post(targetAdmin, pkg)
    expect(res.statusCode).toBe(201)
    const summary = res.json()
    const messages = exported.conversations.flatMap((c: Json) => c.messages)
    expect(summary).toMatchObject({ messages: messages.length, media: 1, suppressed: true })
    expect(summary.consentsNotCarriedOver).toBeGreaterThan(0)

    // The agents of the new instance see the conversation as it was.
    const shown = ((await targetAgent.inject({ method: 'GET', url: `/api/conversations/${summary.conversationId}/messages` })).json().items as Json[]).sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1))
    const texts = (ms: Json[]) => ms.map((m) => `${m.timestamp} ${m.direction} ${m.status} ${m.text?.body ?? m.image?.caption}`).sort()
    expect(texts(shown)).toEqual(texts(messages))
    const image = shown.find((m) => m.type === 'image')!
    const file = await targetAgent.inject({ method: 'GET', url: `/api/media/${image.image.mediaId}` })
    expect(file.statusCode).toBe(200)
    expect(file.rawPayload.equals(PNG)).toBe(true)

    // Exported again, the person's data are the same (ids and colleagues' pseudonyms are each instance's own).
    const again = JSON.parse(Buffer.from(unzipSync((await targetAdmin.inject({ method: 'GET', url: `/api/contacts/${summary.contactId}/export` })).rawPayload)['data.json']!).toString('utf8'))
    const byTime = (a: Json, b: Json) => (a.timestamp === b.timestamp ? (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1) : a.timestamp < b.timestamp ? -1 : 1)
    expect(again.conversations.flatMap((c: Json) => c.messages).map(portable).sort(byTime)).toEqual(messages.map(portable).sort(byTime))
    expect(again.contact).toMatchObject({ waId: exported.contact.waId, profileName: exported.contact.profileName, name: exported.contact.name })
    expect(again.statuses).toEqual(exported.statuses)
    expect(again.suppressed).toBe(true)
    expect(again.consents.every((c: Json) => c.events.length === 0)).toBe(true)

    // Refused a second time: the person is known here now.
    expect((await post(targetAdmin, pkg)).json()).toMatchObject({ status: 409, type: expect.stringContaining('contact-exists') })

    await target.archive.sync({ forceCheckpoint: true })
    const report = await verifyArchive(target.database, target.archive.verifierKey, target.mediaStore, target.sealer)
    expect(report.problems).toEqual([])
    expect(report.media).toBe(1)
  })
})
