import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/database.js'
import { startServer } from '../src/main.js'
import { verifyConsistency } from '../src/modules/archive/merkle.js'
import { customerWrites, DIALECT, eventually, removeTestDatabase, startTestServer, TEST_DATABASE_URL } from './helpers.js'
import { runCli } from './process.js'

const run = promisify(execFile)
const cli = runCli

// Words no table, index or fixture of the suite holds otherwise.
const INBOUND = 'Zitronenfalter bestellt, Lieferung an Quittenweg 7'
const REPLY = 'Die Quittengelee-Gutschrift ist unterwegs'
const SECRET_WORDS = ['Zitronenfalter', 'Quittenweg', 'Quittengelee', 'Gutschrift', 'Holunderhof']
const NOTE = 'Rosa holt am Holunderhof ab'
const DOCUMENT = Buffer.from('Lieferschein: 12 Zitronenfalter-Kaesten\n')

/** The database as a backup holds it: the SQLite files, or a pg_dump of the schema. */
async function dumpOf(dataDir: string, schema: string | undefined, file?: string): Promise<Buffer> {
  if (schema) {
    const args = ['--dbname', TEST_DATABASE_URL!, '--schema', schema, '--no-owner', ...(file ? ['-Fc', '--file', file] : [])]
    const { stdout } = await run('pg_dump', args, { maxBuffer: 256 * 1024 * 1024, encoding: 'buffer' })
    return file ? fs.readFileSync(file) : stdout
  }
  return Buffer.concat(fs.readdirSync(dataDir).filter((f) => f.startsWith('postfach.sqlite')).map((f) => fs.readFileSync(path.join(dataDir, f))))
}

const cookieOf = (res: { cookies: { name: string; value: string }[] }) => `postfach_session=${res.cookies.find((c) => c.name === 'postfach_session')!.value}`

describe(`${DIALECT}: GDPR-32 encryption at rest and the restore drill`, () => {
  it('a database dump holds no message text, media files are encrypted; a restore recreates the tenant, its messages open, and the log verifies against the last checkpoint', async () => {
    const server = await startTestServer()
    const { dataDir } = server
    const schema = server.database.schema
    const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-backup-'))
    let restored: Awaited<ReturnType<typeof startServer>> | undefined
    try {
      const agent = await server.login('agent')
      const { conversationId } = await customerWrites(server, '4915800000321', INBOUND, 'Rosa Restore')
      // A document whose bytes hold the words too: the media file on disk must not.
      const sim = server.simulatorState()
      const docWamid = sim.customerSends('4915800000321', 'Rosa Restore', 'document', { mime_type: 'text/plain', filename: 'Brief-Rosa-Restore.txt', sha256: createHash('sha256').update(DOCUMENT).digest('base64'), id: sim.storeMedia(DOCUMENT, 'text/plain') })
      const doc = await eventually(() => server.database.db.selectFrom('media').innerJoin('messages', 'messages.id', 'media.id').select(['media.id', 'media.sha256']).where('messages.wamid', '=', docWamid).where('media.state', '=', 'stored').executeTakeFirst())
      expect((await agent.inject({ method: 'GET', url: `/api/media/${doc.id}` })).rawPayload.equals(DOCUMENT)).toBe(true)
      const onDisk = fs.readFileSync(path.join(dataDir, 'media', doc.sha256!.slice(0, 2), doc.sha256!.slice(2, 4), doc.sha256!))
      expect(onDisk.includes(Buffer.from('Zitronenfalter'))).toBe(false)
      expect((await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: REPLY } } })).statusCode).toBe(202)
      await eventually(async () => (await server.database.db.selectFrom('messages').select('status').where('direction', '=', 'outbound').executeTakeFirst())?.status === 'read')
      expect((await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/notes`, payload: { body: NOTE } })).statusCode).toBe(201)
      // The team reads and finds the text as ever.
      const shown = (await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages` })).json().items.map((m: { text?: { body: string } }) => m.text?.body)
      expect(shown).toEqual([REPLY, undefined, INBOUND])
      expect((await agent.inject({ method: 'GET', url: '/api/search?q=zitronen' })).json().messages.map((m: { text: string }) => m.text)).toEqual([INBOUND])
      expect((await agent.inject({ method: 'GET', url: '/api/search?q=quittengelee gutschr' })).json().messages.map((m: { text: string }) => m.text)).toEqual([REPLY])
      expect((await agent.inject({ method: 'GET', url: '/api/search?q=zitronenbaum' })).json().messages).toEqual([]) // same 6-letter prefix, another word

      // Numbers arrive in other places too: Meta's marketing opt-out names one, a consent import lists some.
      const optOut = { object: 'whatsapp_business_account', entry: [{ id: sim.identity.wabaId, changes: [{ field: 'user_preferences', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: sim.identity.displayPhoneNumber, phone_number_id: sim.identity.phoneNumberId }, contacts: [{ wa_id: '4915800000321', profile: { name: 'Rosa Restore' } }], user_preferences: [{ wa_id: '4915800000321', detail: 'User requested to stop marketing messages', category: 'marketing_messages', value: 'stop', timestamp: Math.floor(Date.now() / 1000) }] } }] }] }
      expect((await server.webhook(optOut)).statusCode).toBe(200)
      const admin = await server.login('admin')
      const imported = await admin.inject({ method: 'POST', url: '/api/consent/import', payload: { purpose: 'marketing', text: 'Ja, ich möchte Angebote per WhatsApp erhalten.', provenance: { description: 'Papierformulare der Hausmesse' }, entries: [{ phone: '0158 00000654' }] } })
      expect(imported.statusCode).toBe(200)
      expect(imported.json()).toMatchObject({ imported: 1 })

      await server.archive.sync({ forceCheckpoint: true })
      const checkpoint = (await (await server.login('admin')).inject({ method: 'GET', url: '/api/archive/checkpoint' })).body
      const [, sizeLine, rootLine] = checkpoint.split('\n')
      await server.close()

      // The dump: no message text, no word of it — not in the messages, the journal, the search index.
      const dump = await dumpOf(dataDir, schema, schema ? path.join(backupDir, 'postfach.dump') : undefined)
      expect(dump.length).toBeGreaterThan(10_000)
      const plain = schema ? (await run('pg_restore', ['--file', '-', path.join(backupDir, 'postfach.dump')], { maxBuffer: 256 * 1024 * 1024, encoding: 'buffer' })).stdout : dump
      for (const word of SECRET_WORDS) expect(plain.includes(Buffer.from(word)), word).toBe(false)
      // Nor the customer's name or number (contact details are sealed too), in any table.
      for (const word of ['Rosa', 'Restore', '4915800000321', '15800000321', '15800000654', '0158 00000654']) expect(plain.includes(Buffer.from(word)), word).toBe(false)
      expect(plain.includes(Buffer.from('whatsapp.webhook'))).toBe(true) // (the dump is readable: the check can find text)

      // The backup as the README describes it: the database and DATA_DIR (keys, media).
      const restoredDir = path.join(backupDir, 'data')
      fs.cpSync(dataDir, restoredDir, { recursive: true })
      // The tenant is lost …
      await removeTestDatabase(dataDir, schema)
      // … and recreated from the backup.
      if (schema) await run('pg_restore', ['--dbname', TEST_DATABASE_URL!, '--no-owner', path.join(backupDir, 'postfach.dump')])
      const env = { DATA_DIR: restoredDir, ...(schema ? { DATABASE_URL: TEST_DATABASE_URL!, DATABASE_SCHEMA: schema } : {}) }
      const verified = await cli(['archive', 'verify'], env)
      expect(verified.code, verified.stdout + verified.stderr).toBe(0)

      const database = await openDatabase({ url: TEST_DATABASE_URL, dataDir: restoredDir, ...(schema ? { pgSchema: schema } : {}) })
      restored = await startServer(loadConfig({ PORT: '0', DATA_DIR: restoredDir, LOG_LEVEL: 'silent', POSTFACH_ADMIN_EMAIL: 'root@example.com', POSTFACH_ADMIN_PASSWORD: 'root-password-123' }), { logger: false, database })
      await restored.archive.sync({ forceCheckpoint: true })
      const login = await restored.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'root@example.com', password: 'root-password-123' } })
      const get = (url: string) => restored!.app.inject({ method: 'GET', url, headers: { cookie: cookieOf(login) } })
      // The restored log extends the last checkpoint taken before the backup.
      const now = (await get('/api/archive/checkpoint')).body.split('\n')
      const proof = (await get(`/api/archive/proof/consistency?from=${sizeLine}&to=${now[1]}`)).json()
      expect(verifyConsistency(Number(sizeLine), Number(now[1]), Buffer.from(rootLine!, 'base64'), Buffer.from(now[2]!, 'base64'), proof.path.map((h: string) => Buffer.from(h, 'hex')))).toBe(true)
      // Its messages open with the restored keys, and search works.
      const again = (await get(`/api/conversations/${conversationId}/messages`)).json().items
      expect(again.map((m: { text?: { body: string } }) => m.text?.body)).toEqual([REPLY, undefined, INBOUND])
      expect((await get(`/api/conversations/${conversationId}/notes`)).json().items.map((n: { body: string }) => n.body)).toEqual([NOTE])
      expect(again[1].document).toMatchObject({ filename: 'Brief-Rosa-Restore.txt', mediaState: 'stored' }) // its name too, from the sealed message
      expect((await get(`/api/media/${doc.id}`)).rawPayload.equals(DOCUMENT)).toBe(true)
      expect((await get('/api/search?q=quittenweg')).json().messages).toHaveLength(1)
      expect((await get('/api/search?q=rosa restore')).json().conversations.map((c: { contact: { name: string } }) => c.contact.name)).toEqual(['Rosa Restore'])
      expect((await get('/api/search?q=0158 00000321')).json().conversations.map((c: { contact: { waId: string } }) => c.contact.waId)).toEqual(['4915800000321'])
    } finally {
      if (restored) await restored.close()
      await removeTestDatabase(dataDir, schema)
      fs.rmSync(backupDir, { recursive: true, force: true })
    }
  }, 120_000)
})
