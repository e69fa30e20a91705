import fs from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { startServer } from '../src/main.js'
import { verifyArchive } from '../src/modules/archive/verify.js'
import { verifyInclusion, leafHash } from '../src/modules/archive/merkle.js'
import { berlinToday, berlinYear, type Caller, contactByNumber, customerWrites, DIALECT, eventually, startTestServer, type TestServer } from './helpers.js'

/** Every table, every column, as text: numbers and names must not be anywhere once shredded. */
async function databaseText(server: TestServer): Promise<string> {
  const db = server.database.db
  const tables =
    DIALECT === 'postgres'
      ? (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)).rows
      : (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows
  const parts: string[] = []
  for (const { name } of tables) {
    const { rows } = await sql.raw<Record<string, unknown>>(`select * from "${name}"`).execute(db)
    for (const row of rows) for (const v of Object.values(row)) parts.push(Buffer.isBuffer(v) || v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : String(v))
  }
  return parts.join('\n')
}

/** A customer with a marketing-only conversation (nothing to keep for taxes), a reply and a status trail. */
async function marketingCustomer(server: TestServer, agent: Caller, waId: string, name: string) {
  const { conversationId, wamid } = await customerWrites(server, waId, `Ich heiße ${name} und will nur Angebote.`, name)
  expect((await agent.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/classification`, payload: { class: 'marketing', reason: `${name} will nur Werbung` } })).statusCode).toBe(204) // the reason names the person
  const reply = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: `Hallo ${name}!` } } })
  await eventually(async () => (await server.database.db.selectFrom('messages').select('status').where('id', '=', reply.json().id).executeTakeFirstOrThrow()).status === 'read')
  const contactId = (await server.database.db.selectFrom('conversations').select('contact_id').where('id', '=', conversationId).executeTakeFirstOrThrow()).contact_id
  return { conversationId, wamid, contactId, replyId: reply.json().id as string }
}

async function erase(admin: Caller, contactId: string, note?: string, extension?: string) {
  const dsr = (await admin.inject({ method: 'POST', url: '/api/privacy/requests', payload: { kind: 'erasure', channel: 'whatsapp', contactId, note } })).json()
  await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/verify-identity` })
  if (extension) expect((await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/extend`, payload: { months: 1, reason: extension } })).json().extensionReason).toBe(extension)
  return admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/erase` })
}

describe(`${DIALECT}: crypto-shredding`, () => {
  it('SHRED-1, ARCH-6: after shredding nobody finds the person, not through any API nor in any table; every proof still verifies', async () => {
    const server = await startTestServer()
    try {
      const agent = await server.login('agent')
      const admin = await server.login('admin')
      const auditor = await server.login('auditor')
      const x = await marketingCustomer(server, agent, '4915166000001', 'Xaver Xanthippe')
      await marketingCustomer(server, agent, '4915166000002', 'Yvonne Ypsilon') // a second person, who stays
      await server.archive.sync({ forceCheckpoint: true })
      const xLeaf = await server.database.db.selectFrom('archive_leaves').select(['idx', 'leaf_data']).where('journal_seq', '=', (await server.database.db.selectFrom('messages').select('journal_seq').where('wamid', '=', x.wamid).executeTakeFirstOrThrow()).journal_seq!).executeTakeFirstOrThrow()
      // Before: the scan sees the message's wamid (so it can see); name and number are sealed at rest already (GDPR-32),
      // and open with the person's key.
      const before = await databaseText(server)
      expect(before).toContain(x.wamid)
      expect(before).not.toMatch(/4915166000001|Xaver/)
      const sealedNumber = (await server.database.db.selectFrom('contacts').select('wa_id').where('id', '=', x.contactId).executeTakeFirstOrThrow()).wa_id
      expect(await server.vault.details.open(server.database.db, x.contactId, sealedNumber, 'number')).toBe('4915166000001')
      // The journal holds the originals sealed: no number or name in its bytes even now.
      const journal = (await server.database.db.selectFrom('journal').select('content').execute()).map((r) => Buffer.from(r.content!).toString('latin1')).join('\n')
      expect(journal).not.toMatch(/4915166000001|Xaver/)

      // What the team and the data-protection officer wrote about the person is theirs too.
      expect((await agent.inject({ method: 'POST', url: `/api/conversations/${x.conversationId}/notes`, payload: { body: 'Xaver Xanthippe will 10 % Rabatt' } })).statusCode).toBe(201)
      const res = await erase(admin, x.contactId, 'Xaver Xanthippe bat per WhatsApp um Löschung', 'Herr Xanthippe hat Daten in vielen Unterhaltungen')
      expect(res.statusCode).toBe(200)
      expect(res.json().summary.retained).toEqual([])
      const requests = (await admin.inject({ method: 'GET', url: '/api/privacy/requests?status=all' })).json().items
      expect(requests).toEqual([expect.objectContaining({ kind: 'erasure', status: 'completed', contactId: x.contactId, note: null, extensionReason: null, contact: null })])
      const keys = await server.database.db.selectFrom('data_keys').selectAll().execute()
      expect(keys.filter((k) => k.destroyed_at !== null).length).toBeGreaterThanOrEqual(1)
      expect(fs.readFileSync(path.join(server.dataDir, 'shredded-keys'), 'utf8')).toContain(`contact ${x.contactId}`)

      const after = await databaseText(server)
      for (const needle of ['4915166000001', 'Xaver', 'Xanthippe', x.wamid]) expect(after).not.toContain(needle)
      // A copy of the sealed number (a backup) no longer opens; nobody is found by it; the other person is.
      expect(await server.vault.details.open(server.database.db, x.contactId, sealedNumber, 'number')).toBeNull()
      expect(await contactByNumber(server, '4915166000001')).toBeUndefined()
      expect((await contactByNumber(server, '4915166000002'))?.wa_id).toBe('4915166000002')
      expect(JSON.stringify((await agent.inject({ method: 'GET', url: '/api/search?q=Yvonne' })).json())).toContain('Yvonne Ypsilon')

      // No API returns it: search, conversation, contact export, archive search and the Z3 export.
      expect(JSON.stringify((await agent.inject({ method: 'GET', url: '/api/search?q=Xaver' })).json())).not.toContain('Xaver')
      expect((await agent.inject({ method: 'GET', url: `/api/conversations/${x.conversationId}` })).statusCode).toBe(404)
      // The classification history stays (GOBD-11, append-only): who changed what, when; the reason named the person and is gone.
      const history = (await auditor.inject({ method: 'GET', url: `/api/conversations/${x.conversationId}/classifications` })).json().items
      expect(history).toEqual([expect.objectContaining({ class: 'marketing', reason: '' })])
      const exported = await admin.inject({ method: 'GET', url: `/api/contacts/${x.contactId}/export` })
      expect(exported.rawPayload.toString('latin1')).not.toMatch(/Xaver|4915166000001/)
      const today = berlinToday()
      const z3 = await admin.inject({ method: 'GET', url: `/api/archive/export?from=${today}&to=${today}&classes=handelsbrief,buchungsbeleg,buch,marketing,none` })
      expect(z3.statusCode).toBe(200)
      const { unzipSync } = await import('fflate')
      const z3Text = Object.values(unzipSync(z3.rawPayload)).map((b) => Buffer.from(b).toString('utf8')).join('\n')
      expect(z3Text).not.toMatch(/Xaver|4915166000001/)
      expect(z3Text).toMatch(/Yvonne/)

      // ARCH-6: the log is whole; the erased entry's proof still verifies against its commitment.
      await server.archive.sync({ forceCheckpoint: true })
      const report = await verifyArchive(server.database, server.archive.verifierKey, server.mediaStore, server.sealer)
      expect(report.problems).toEqual([])
      const proof = (await auditor.inject({ method: 'GET', url: `/api/archive/proof/inclusion?leafIndex=${xLeaf.idx}` })).json()
      expect(Buffer.from(proof.leafData, 'base64').equals(Buffer.from(xLeaf.leaf_data))).toBe(true)
      expect(verifyInclusion(proof.leafIndex, proof.treeSize, leafHash(Buffer.from(proof.leafData, 'base64')), proof.path.map((h: string) => Buffer.from(h, 'hex')), Buffer.from(proof.rootHash, 'hex'))).toBe(true)
      const receipt = await server.database.db.selectFrom('journal').select('content').where('kind', '=', 'archive.erasure').executeTakeFirstOrThrow()
      expect(JSON.parse(receipt.content!.toString('utf8')).shreddedKeys.length).toBeGreaterThanOrEqual(1)
      expect(receipt.content!.toString('utf8')).not.toMatch(/Xaver|4915166000001/)
    } finally {
      await server.stop()
    }
  }, 90_000)

  it('SHRED-2, GOBD-16: while the tax retention runs, keys stay and the refusal is logged; the auditor still reads the originals', async () => {
    const server = await startTestServer()
    try {
      const admin = await server.login('admin')
      const { conversationId, wamid } = await customerWrites(server, '4915166000003', 'Ich bestelle zwei Tische.', 'Zora Zins')
      const contactId = (await server.database.db.selectFrom('conversations').select('contact_id').where('id', '=', conversationId).executeTakeFirstOrThrow()).contact_id
      const res = await erase(admin, contactId)
      expect(res.json().summary.retained).toEqual([expect.objectContaining({ dataClass: 'handelsbrief', messages: 1 })])
      expect(await server.database.db.selectFrom('data_keys').select('id').where('wrapped', 'is', null).execute()).toEqual([])
      const refused = (await admin.inject({ method: 'GET', url: `/api/audit?contactId=${contactId}&action=archive.shred_refused` })).json().items
      expect(refused).toHaveLength(1)
      expect(refused[0].detail).toMatchObject({ until: `${berlinYear() + 6}-12-31`, retained: ['handelsbrief'] })
      const today = berlinToday()
      const z3 = await admin.inject({ method: 'GET', url: `/api/archive/export?from=${today}&to=${today}` })
      const { unzipSync } = await import('fflate')
      const files = unzipSync(z3.rawPayload)
      const raw = Object.entries(files).find(([name, b]) => name.startsWith('raw/') && Buffer.from(b).toString('utf8').includes(wamid))
      expect(Buffer.from(raw![1]).toString('utf8')).toContain('zwei Tische')
    } finally {
      await server.stop()
    }
  }, 60_000)

  it('SHRED-3: a database restored from a backup taken before the erasure does not bring the person back', async () => {
    const server = await startTestServer()
    let second: Awaited<ReturnType<typeof startServer>> | undefined
    try {
      const agent = await server.login('agent')
      const admin = await server.login('admin')
      const x = await marketingCustomer(server, agent, '4915166000004', 'Wilma Wiederkehr')
      const db = server.database.db
      // The "backup": every row about the person, and the data keys, as they were.
      const backup = {
        keys: await db.selectFrom('data_keys').selectAll().execute(),
        contact: await db.selectFrom('contacts').selectAll().where('id', '=', x.contactId).executeTakeFirstOrThrow(),
        conversation: await db.selectFrom('conversations').selectAll().where('id', '=', x.conversationId).executeTakeFirstOrThrow(),
        messages: await db.selectFrom('messages').selectAll().where('conversation_id', '=', x.conversationId).execute(),
      }
      expect((await erase(admin, x.contactId)).statusCode).toBe(200)
      await server.app.close() // the server stops; the database stays

      // The restore: the old rows and the old wrapped keys come back.
      const stored = <T extends object>(row: T) => Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'search' && k !== 'search_name')) as T
      for (const k of backup.keys) await db.updateTable('data_keys').set({ wrapped: k.wrapped, destroyed_at: null, destroyed_reason: null }).where('id', '=', k.id).execute()
      await db.updateTable('contacts').set(stored(backup.contact)).where('id', '=', x.contactId).execute()
      // (PostgreSQL's generated search columns are computed again, not restored.)
      await db.insertInto('conversations').values(stored(backup.conversation)).execute()
      await db.insertInto('messages').values(backup.messages.map(stored)).execute()
      // The restored row is the person again: found by the number.
      expect((await db.selectFrom('contacts').select('wa_key').where('id', '=', x.contactId).executeTakeFirstOrThrow()).wa_key).toBe(server.vault.details.lookupKey('wa', '4915166000004'))

      // The next start destroys the keys again and erases the person again, with a receipt.
      const config = loadConfig({ PORT: '0', DATA_DIR: server.dataDir, LOG_LEVEL: 'silent' })
      second = await startServer(config, { logger: false, database: server.database })
      const shredded = fs.readFileSync(path.join(server.dataDir, 'shredded-keys'), 'utf8').split('\n').filter((l) => l.startsWith('key ')).map((l) => l.slice(4))
      expect(shredded.length).toBeGreaterThanOrEqual(1)
      const keyRows = await db.selectFrom('data_keys').select(['id', 'wrapped']).where('id', 'in', shredded).execute()
      expect(keyRows).toHaveLength(shredded.length)
      expect(keyRows.every((k) => k.wrapped === null)).toBe(true)
      const text = await databaseText(server)
      for (const needle of ['4915166000004', 'Wilma', 'Wiederkehr']) expect(text).not.toContain(needle)
      expect(await contactByNumber(second, '4915166000004')).toBeUndefined()
      expect(await second.vault.details.open(db, x.contactId, backup.contact.wa_id, 'number')).toBeNull()
      const audit = await db.selectFrom('audit_log').select('action').where('contact_id', '=', x.contactId).where('action', '=', 'archive.reshredded').execute()
      expect(audit).toHaveLength(1)
    } finally {
      await second?.app.close()
      await server.stop()
    }
  }, 90_000)
})

describe(`${DIALECT}: master key rotation`, () => {
  it('re-wraps every data key and the stored credentials; sealed entries still open with the new key only; keyed hashes stay', async () => {
    const { execFile } = await import('node:child_process')
    const { promisify } = await import('node:util')
    const { randomBytes } = await import('node:crypto')
    const { SecretBox, loadSecretBox } = await import('../src/platform/crypto/secret-box.js')
    const { saveCredentials, loadCredentials } = await import('../src/modules/whatsapp/connection.js')
    const { DataKeys } = await import('../src/modules/archive/data-keys.js')
    const server = await startTestServer()
    let second: Awaited<ReturnType<typeof startServer>> | undefined
    try {
      const db = server.database.db
      const { wamid } = await customerWrites(server, '4915166000009', 'Vor dem Schlüsselwechsel', 'Rita Rotation')
      const box = loadSecretBox({ keyFile: undefined, dataDir: server.dataDir })
      const creds = { appSecret: 'a', verifyToken: 'v', accessToken: 'secret-token', phoneNumberId: '1', businessAccountId: '2', apiBaseUrl: 'https://graph.example/v26.0', messagesPerSecond: 80 }
      await saveCredentials(db, box, creds, null)
      const before = await db.selectFrom('data_keys').select(['id', 'subject_ref', 'wrapped']).orderBy('id').execute()
      expect(before.length).toBeGreaterThanOrEqual(1)
      const seq = (await db.selectFrom('messages').select('journal_seq').where('wamid', '=', wamid).executeTakeFirstOrThrow()).journal_seq!
      await server.app.close()

      const newKey = path.join(server.dataDir, 'new.key')
      fs.writeFileSync(newKey, randomBytes(32).toString('base64'), { mode: 0o600 })
      const ROOT = path.resolve(import.meta.dirname, '..')
      const { TEST_DATABASE_URL } = await import('./helpers.js')
      const out = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli-main.ts', 'keys', 'rotate-master', '--new-key-file', newKey], {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'silent', DATA_DIR: server.dataDir, ...(TEST_DATABASE_URL ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: server.database.schema! } : {}) },
      })
      expect(out.stdout).toMatch(new RegExp(`Re-wrapped ${before.length} data keys and 1 stored secrets`))
      expect(fs.readFileSync(path.join(server.dataDir, 'master.key'), 'utf8').trim()).toBe(fs.readFileSync(newKey, 'utf8').trim())

      const after = await db.selectFrom('data_keys').select(['id', 'subject_ref', 'wrapped']).orderBy('id').execute()
      expect(after.map((k) => [k.id, k.subject_ref])).toEqual(before.map((k) => [k.id, k.subject_ref]))
      after.forEach((k, i) => expect(k.wrapped).not.toBe(before[i]!.wrapped))
      // The old key opens nothing any more; the new one opens everything.
      const oldBox = box
      expect(() => oldBox.open(after[0]!.wrapped!, `data-key:${after[0]!.id}`)).toThrow()
      const rotated = loadSecretBox({ keyFile: undefined, dataDir: server.dataDir })
      expect(rotated.root.equals(box.root)).toBe(true)
      expect(await loadCredentials(db, rotated)).toMatchObject({ accessToken: 'secret-token' })
      expect(new DataKeys(rotated, server.dataDir).subjectRef('4915166000009')).toBe(new DataKeys(box, server.dataDir).subjectRef('4915166000009'))
      expect(new SecretBox(box.root).deriveKey('x').equals(rotated.deriveKey('x'))).toBe(true)

      // A restarted Postfach reads the sealed original with the new key.
      second = await startServer(loadConfig({ PORT: '0', DATA_DIR: server.dataDir, LOG_LEVEL: 'silent' }), { logger: false, database: server.database })
      const entry = await db.selectFrom('journal').select('content').where('seq', '=', Number(seq)).executeTakeFirstOrThrow()
      expect((await second.sealer.open(db, Buffer.from(entry.content!)))!.payload.toString('utf8')).toContain('Rita Rotation')
    } finally {
      await second?.app.close()
      await server.stop()
    }
  }, 90_000)
})
