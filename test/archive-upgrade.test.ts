import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { unzipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { type Executor, openDatabase } from '../src/db/database.js'
import { migrateTo } from '../src/db/migrate.js'
import { startServer } from '../src/main.js'
import { verifyArchive } from '../src/modules/archive/verify.js'
import { messagesEnvelope } from '../src/simulator/payloads.js'
import { SIMULATOR_DEFAULTS } from '../src/simulator/simulator.js'
import { berlinToday, contactByNumber, DIALECT, removeTestDatabase, TEST_DATABASE_URL } from './helpers.js'

/** The last schema before the archive existed: what the previous release wrote. */
const PREVIOUS = '2026-11-29T2000_privacy'

/** How the previous release stored a message: its content as plain JSON, indexed by the database itself. */
/** What the previous release's projection wrote for one inbound text: its contact, conversation and message, all plain. */
async function previousReleaseProjects(tx: Executor, seq: number, m: { from: string; name: string; id: string; timestamp: string; raw: object }) {
  const at = new Date(Number(m.timestamp) * 1000).toISOString()
  const stored = new Date().toISOString()
  await tx.insertInto('contacts').values({ id: 'contact-before', wa_id: m.from, user_id: null, profile_name: m.name, first_contact_at: at, last_contact_at: at, created_at: at, updated_at: at } as never).execute()
  await tx.insertInto('conversations').values({ id: 'conversation-before', contact_id: 'contact-before', channel_id: SIMULATOR_DEFAULTS.phoneNumberId, status: 'open', assignee_id: null, last_message_at: at, last_inbound_at: at, created_at: at, updated_at: at } as never).execute()
  await tx
    .insertInto('messages')
    .values({ id: 'message-before', conversation_id: 'conversation-before', wamid: m.id, direction: 'inbound', type: 'text', status: 'received', timestamp: at, content: JSON.stringify(m.raw), key_id: null, context_wamid: null, error_code: null, error_title: null, error_detail: null, sent_by: null, journal_seq: seq, created_at: stored, updated_at: stored } as never)
    .execute()
}

describe(`${DIALECT}: GOBD-8 an archive written by the previous release stays readable, provable and exportable`, () => {
  it('messages journaled before the Merkle log existed join the log, verify, show their lifecycle and leave in the Z3 export byte for byte', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-upgrade-'))
    const schema = TEST_DATABASE_URL ? `t_${randomBytes(6).toString('hex')}` : undefined
    const database = await openDatabase({ url: TEST_DATABASE_URL, dataDir, ...(schema ? { pgSchema: schema } : {}) })
    let server: Awaited<ReturnType<typeof startServer>> | undefined
    try {
      await migrateTo(database, PREVIOUS)
      // As the previous release did it: the raw body in the journal (plain), then the projection.
      const inbound = { from: '4915111222333', id: 'wamid.upgrade-1', timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Bestellung aus der Zeit vor dem Protokoll' } }
      const raw = Buffer.from(JSON.stringify(messagesEnvelope(SIMULATOR_DEFAULTS, { contacts: [{ profile: { name: 'Olga Altbestand' }, wa_id: '4915111222333' }], messages: [inbound] })))
      const seq = await database.db.transaction().execute(async (tx) => {
        const row = await tx
          .insertInto('journal')
          .values({ received_at: new Date().toISOString(), kind: 'whatsapp.webhook', content_sha256: createHash('sha256').update(raw).digest('hex'), content: raw, key_id: null } as never)
          .returning('seq')
          .executeTakeFirstOrThrow()
        await previousReleaseProjects(tx, Number(row.seq), { from: inbound.from, name: 'Olga Altbestand', id: inbound.id, timestamp: inbound.timestamp, raw: inbound })
        return Number(row.seq)
      })
      expect(await sql`select count(*) as n from archive_leaves`.execute(database.db).catch(() => 'no table')).toBe('no table')
      // A media file as the previous release stored it: plain bytes under their SHA-256.
      const picture = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('Rechnung Olga Altbestand')])
      const pictureSha = createHash('sha256').update(picture).digest('hex')
      const pictureFile = path.join(dataDir, 'media', pictureSha.slice(0, 2), pictureSha.slice(2, 4), pictureSha)
      fs.mkdirSync(path.dirname(pictureFile), { recursive: true })
      fs.writeFileSync(pictureFile, picture)
      const now = new Date().toISOString()
      await database.db.insertInto('media').values({ id: 'media-before-encryption', direction: 'inbound', state: 'stored', mime_type: 'image/png', filename: null, size: picture.length, sha256: pictureSha, expected_sha256: pictureSha, graph_media_id: null, graph_uploaded_at: null, last_error: null, created_at: now, updated_at: now } as never).execute()
      // One whose bytes were changed since: left as it is, for the verifier to name.
      const changedSha = createHash('sha256').update('the original').digest('hex')
      const changedFile = path.join(dataDir, 'media', changedSha.slice(0, 2), changedSha.slice(2, 4), changedSha)
      fs.mkdirSync(path.dirname(changedFile), { recursive: true })
      fs.writeFileSync(changedFile, 'not the original')
      await database.db.insertInto('media').values({ id: 'media-changed-before', direction: 'inbound', state: 'stored', mime_type: 'image/png', filename: null, size: 12, sha256: changedSha, expected_sha256: changedSha, graph_media_id: null, graph_uploaded_at: null, last_error: null, created_at: now, updated_at: now } as never).execute()

      // The new release starts on that database.
      server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', POSTFACH_ADMIN_EMAIL: 'root@example.com', POSTFACH_ADMIN_PASSWORD: 'root-password-123' }), { logger: false, database })
      await server.archive.sync({ forceCheckpoint: true })
      const login = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'root@example.com', password: 'root-password-123' } })
      const cookie = `postfach_session=${login.cookies.find((c) => c.name === 'postfach_session')!.value}`
      const get = (url: string) => server!.app.inject({ method: 'GET', url, headers: { cookie } })

      const message = await database.db.selectFrom('messages').select(['id', 'conversation_id']).where('wamid', '=', 'wamid.upgrade-1').executeTakeFirstOrThrow()
      const shown = (await get(`/api/conversations/${message.conversation_id}/messages`)).json().items
      expect(shown.map((m: { text?: { body: string } }) => m.text?.body)).toContain('Bestellung aus der Zeit vor dem Protokoll')
      // GDPR-32: the start sealed the stored plain content and entered it into the blind index.
      const stored = await database.db.selectFrom('messages').select(['content', 'key_id']).where('id', '=', message.id).executeTakeFirstOrThrow()
      expect(stored.key_id).not.toBeNull()
      expect(stored.content).not.toContain('Bestellung')
      expect((await get('/api/search?q=bestell')).json().messages.map((m: { id: string }) => m.id)).toEqual([message.id])
      // …and the contact's name, found by search as before.
      const [olga] = await database.db.selectFrom('contacts').select(['id', 'profile_name', 'wa_id', 'wa_key']).execute()
      expect(olga!.profile_name).not.toContain('Olga')
      expect((await get('/api/search?q=altbestand')).json().conversations.map((c: { contact: { name: string } }) => c.contact.name)).toEqual(['Olga Altbestand'])
      // …and the number: sealed, given its lookup key, found by its ending, shown opened.
      expect(olga!.wa_id).not.toContain('4915111222333')
      expect((await contactByNumber(server, '4915111222333'))?.id).toBe(olga!.id)
      expect((await get('/api/search?q=1222333')).json().conversations.map((c: { contact: { waId: string } }) => c.contact.waId)).toEqual(['4915111222333'])
      // …and the media file: encrypted on disk, the same bytes when read.
      const onDisk = fs.readFileSync(pictureFile)
      expect(onDisk.subarray(0, 4).toString()).toBe('PFM1')
      expect(onDisk.includes(Buffer.from('Olga'))).toBe(false)
      expect((await server.mediaStore.get(pictureSha))?.equals(picture)).toBe(true)
      expect(fs.readFileSync(changedFile, 'utf8')).toBe('not the original')
      const life = (await get(`/api/archive/messages/${message.id}/lifecycle`)).json()
      expect(life.steps[0]).toMatchObject({ step: 'received', journalSeq: seq, leafIndex: expect.any(Number) })
      expect((await get(`/api/archive/proof/inclusion?messageId=${message.id}`)).statusCode).toBe(200)
      const report = await verifyArchive(database, server.archive.verifierKey, server.mediaStore, server.sealer)
      expect(report.problems).toEqual([])
      expect(report.messages).toBeGreaterThanOrEqual(1)

      const today = berlinToday()
      const files = unzipSync((await get(`/api/archive/export?from=${today}&to=${today}`)).rawPayload)
      expect(Buffer.from(files[`raw/${seq}.json`]!).equals(raw)).toBe(true)
      const manifest = JSON.parse(Buffer.from(files['archive/manifest.json']!).toString('utf8'))
      expect(manifest.entries.find((e: { journalSeq: number }) => e.journalSeq === seq)).toMatchObject({ salt: '' })
    } finally {
      if (server) await server.close()
      else await database.destroy()
      await removeTestDatabase(dataDir, schema)
    }
  }, 60_000)
})
