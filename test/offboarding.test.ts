import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { unzipSync } from 'fflate'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, eventually, removeTestDatabase, startTestServer, TEST_DATABASE_URL } from './helpers.js'
import { runCli } from './process.js'

const ROOT = path.resolve(import.meta.dirname, '..')
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
const cli = runCli

describe(`${DIALECT}: GDPR-28 off-boarding returns everything, then deletes everything`, () => {
  it('postfach offboard writes the Z3 archive and every table into one ZIP, drops every table, deletes every file, and reports nothing left', async () => {
    const server = await startTestServer()
    const { dataDir } = server
    const schema = server.database.schema
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-offboard-'))
    try {
      const agent = await server.login('agent')
      const { conversationId } = await customerWrites(server, '4915800000101', 'Bitte alles zurückgeben', 'Olaf Ende')
      const sim = server.simulatorState()
      const imageWamid = sim.customerSends('4915800000101', 'Olaf Ende', 'image', { mime_type: 'image/png', sha256: createHash('sha256').update(PNG).digest('base64'), id: sim.storeMedia(PNG, 'image/png') })
      await eventually(() => server.database.db.selectFrom('media').innerJoin('messages', 'messages.id', 'media.id').select('media.state').where('messages.wamid', '=', imageWamid).where('media.state', '=', 'stored').executeTakeFirst())
      expect((await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Wird erledigt.' } } })).statusCode).toBe(202)
      await eventually(async () => (await server.database.db.selectFrom('messages').select('status').where('direction', '=', 'outbound').executeTakeFirst())?.status === 'read')
      await server.close()

      const env = { DATA_DIR: dataDir, ...(TEST_DATABASE_URL ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema! } : {}) }
      const zipFile = path.join(outside, 'rueckgabe.zip')
      const unconfirmed = await cli(['offboard', '--export', zipFile], env)
      expect(unconfirmed.code).toBe(2)
      expect(unconfirmed.stderr).toMatch(/--yes/)
      expect(fs.existsSync(zipFile)).toBe(false)
      expect(fs.readdirSync(path.join(dataDir, 'media')).length).toBeGreaterThan(0) // nothing was deleted

      const res = await cli(['offboard', '--export', zipFile, '--yes'], env)
      expect(res.code, res.stderr).toBe(0)
      const report = JSON.parse(res.stdout.slice(0, res.stdout.lastIndexOf('}') + 1))
      expect(report.purge).toEqual({ tablesDropped: report.export.tables, tablesRemaining: [], rowsRemaining: 0, filesDeleted: expect.any(Number), filesRemaining: [] })
      expect(report.export.messages).toBeGreaterThanOrEqual(3)

      // Returned: the archive with its verifier, and every table.
      const files = unzipSync(fs.readFileSync(zipFile))
      const z3 = unzipSync(files['archive-z3.zip']!)
      expect(Object.keys(z3)).toEqual(expect.arrayContaining(['index.xml', 'gdpdu-01-09-2004.dtd']))
      expect(Object.values(z3).some((b) => Buffer.from(b).equals(PNG))).toBe(true)
      const messages = JSON.parse(Buffer.from(files['tables/messages.json']!).toString('utf8')) as { content: string }[]
      expect(messages.map((m) => m.content).join()).toContain('Wird erledigt.')
      expect(Object.keys(files)).toEqual(expect.arrayContaining(['tables/contacts.json', 'tables/consent_events.json', 'tables/journal.json', 'tables/audit_log.json']))

      // Deleted: no table, no file, no key.
      expect(fs.readdirSync(dataDir)).toEqual([])
      if (TEST_DATABASE_URL) {
        const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
        await client.connect()
        const left = await client.query('select table_name from information_schema.tables where table_schema = $1', [schema])
        await client.end()
        expect(left.rows).toEqual([])
      }
    } finally {
      await removeTestDatabase(dataDir, schema)
      fs.rmSync(outside, { recursive: true, force: true })
    }
  }, 120_000)

  it('ships a processor contract template covering Art. 28(3)(a)–(h) and the sub-processor list naming Meta', () => {
    const contract = fs.readFileSync(path.join(ROOT, 'docs/avv-vorlage.md'), 'utf8')
    for (const point of ['(lit. a)', '(lit. b)', '(lit. c', '(lit. d', '(lit. e)', '(lit. f)', '(lit. g)', '(lit. h)']) expect(contract).toContain(point)
    expect(contract).toContain('postfach offboard --export')
    const list = fs.readFileSync(path.join(ROOT, 'docs/unterauftragsverarbeiter.md'), 'utf8')
    expect(list).toMatch(/Meta Platforms Ireland Ltd\..*Data Privacy Framework/s)
  })
})
