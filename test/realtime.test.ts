import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/database.js'
import { type RunningServer, startServer } from '../src/main.js'
import type { RealtimeEvent } from '../src/platform/realtime/hub.js'
import { START_GRACE_MS } from '../src/platform/realtime/pg-bridge.js'
import { signBody } from '../src/modules/whatsapp/signature.js'
import { APP_SECRET, customerWrites, DIALECT, eventually, readFixture, startTestServer, TEST_DATABASE_URL, type TestServer } from './helpers.js'

describe(`${DIALECT}: realtime events across instances`, () => {
  let a: TestServer
  let b: RunningServer | undefined
  let dataDir: string
  beforeAll(async () => {
    a = await startTestServer()
    if (DIALECT !== 'postgres') return
    // A second instance on the same database (schema), as behind a load balancer.
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-second-'))
    // Instances of one installation share its keys (as they share DATA_DIR or a key file).
    for (const file of ['master.key', 'key-root.sealed', 'archive-signing.key']) fs.copyFileSync(path.join(a.dataDir, file), path.join(dataDir, file))
    const database = await openDatabase({ url: TEST_DATABASE_URL, dataDir, pgSchema: a.database.schema! })
    b = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { logger: false, database })
  }, 60_000)
  afterAll(async () => {
    await b?.close()
    await a.stop()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  })

  if (DIALECT === 'postgres') {
    it('a change committed on one instance reaches the browsers connected to another (LISTEN/NOTIFY), without echo', async () => {
      const onB: RealtimeEvent[] = []
      const onA: RealtimeEvent[] = []
      b!.hub.subscribe((e) => void onB.push(e))
      a.hub.subscribe((e) => void onA.push(e))
      expect((await a.webhook(readFixture('text.json'))).statusCode).toBe(200)
      const { conversation_id } = await eventually(() => a.database.db.selectFrom('messages').select('conversation_id').executeTakeFirst())
      await eventually(() => onB.some((e) => e.type === 'conversation.changed' && e.conversationId === conversation_id))
      // The publishing instance delivers its own event once, not again when its NOTIFY comes back.
      await new Promise((r) => setTimeout(r, 300))
      expect(onA.filter((e) => e.type === 'conversation.changed' && e.conversationId === conversation_id)).toHaveLength(1)
    })

    it('keywords an admin changes on one instance apply on the other within a second', async () => {
      const admin = await a.login('admin')
      const current = (await admin.inject({ method: 'GET', url: '/api/consent/keywords' })).json()
      expect((await admin.inject({ method: 'PUT', url: '/api/consent/keywords', payload: { ...current, stop: [...current.stop, 'HALT'] } })).statusCode).toBe(200)
      await new Promise((r) => setTimeout(r, 1100))
      const body = JSON.parse(readFixture('text.json'))
      const value = body.entry[0].changes[0].value
      value.messages[0].id = 'wamid.keyword-on-b'
      value.messages[0].text.body = 'halt'
      const raw = JSON.stringify(body)
      const res = await b!.app.inject({ method: 'POST', url: '/webhooks/whatsapp', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(APP_SECRET, raw) }, payload: raw })
      expect(res.statusCode).toBe(200)
      const message = await eventually(() => a.database.db.selectFrom('messages').innerJoin('conversations', 'conversations.id', 'messages.conversation_id').select('conversations.contact_id').where('messages.wamid', '=', 'wamid.keyword-on-b').executeTakeFirst())
      const kinds = (await a.database.db.selectFrom('consent_events').select('kind').where('contact_id', '=', message.contact_id).execute()).map((e) => e.kind)
      expect(kinds.length).toBeGreaterThan(0)
      expect(new Set(kinds)).toEqual(new Set(['objected']))
    })
  } else {
    it('with SQLite (one process owns the file) events stay in the instance: no bridge', () => {
      expect(a.database.listen).toBeUndefined()
      expect(a.hub.onPublish).toBeUndefined()
    })
  }
})

// PostgreSQL only: with SQLite there is no bridge (tested above).
if (DIALECT === 'postgres') {
  describe(`${DIALECT}: a lone instance sends no NOTIFY for its events`, () => {
    let server: TestServer
    let listener: pg.Client
    const heard: { origin: string; events?: unknown[]; hello?: true; here?: true }[] = []
    beforeAll(async () => {
      server = await startTestServer()
      listener = new pg.Client({ connectionString: TEST_DATABASE_URL })
      await listener.connect()
      listener.on('notification', (n) => void heard.push(JSON.parse(n.payload!)))
      await listener.query(`listen "postfach_events_${server.database.schema}"`)
    }, 60_000)
    afterAll(async () => {
      await listener?.end()
      await server?.stop()
    })

    it('sends events only once another instance has said it is there, and answers its greeting at once', async () => {
      // Past the first seconds after start, in which events go out before any answer to the greeting could come.
      await new Promise((r) => setTimeout(r, START_GRACE_MS + 100))
      await customerWrites(server, '4915100000101', 'eins')
      await new Promise((r) => setTimeout(r, 300))
      expect(heard.filter((m) => m.events)).toEqual([])

      // Another instance starts and greets: it is answered, and from then on events go out.
      await listener.query(`select pg_notify($1, $2)`, [`postfach_events_${server.database.schema}`, JSON.stringify({ origin: 'another-instance', hello: true })])
      await eventually(() => heard.some((m) => m.here && m.origin !== 'another-instance'))
      await customerWrites(server, '4915100000101', 'zwei')
      await eventually(() => heard.some((m) => m.events?.some((e) => (e as { type: string }).type === 'conversation.changed')))
      // None went out before the answer (the first message's events were not merely late).
      expect(heard.findIndex((m) => m.events)).toBeGreaterThan(heard.findIndex((m) => m.here && m.origin !== 'another-instance'))
    })
  })
}
