import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { parse } from 'csv-parse/sync'
import { unzipSync, zipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { berlinToday, type Caller, customerWrites, DIALECT, eventually, type TestServer, useTestServer } from './helpers.js'

const run = promisify(execFile)
const ROOT = path.resolve(import.meta.dirname, '..')
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000020000000208060000007a', 'hex')
const exec = (cmd: string, args: string[], cwd?: string) =>
  run(cmd, args, { cwd: cwd ?? ROOT, env: { ...process.env, LOG_LEVEL: 'silent' } }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  )
/**
 * xmllint's validity errors for a file, less the one the standard's own DTD always causes: its
 * `Media` content model (Command*, Table*, Command*) is not deterministic, which libxml2 reports
 * for every document; every other message is about the document itself.
 */
async function dtdErrors(dir: string, file = 'index.xml'): Promise<string[]> {
  const lint = await exec('xmllint', ['--noout', '--valid', file], dir)
  return lint.out
    .split(/\n(?=\S+:\d+: )/)
    .map((e) => e.trim())
    .filter((e) => e && !/Content model of Media is not determinist/.test(e))
}
const today = berlinToday
const extract = (zip: Buffer) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-z3-'))
  for (const [name, bytes] of Object.entries(unzipSync(zip))) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), bytes)
  }
  return dir
}

describe(`${DIALECT}: tax audit access and the Z3 export`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer, agent: Caller, admin: Caller, auditor: Caller
  const dirs: string[] = []
  let contactId: string
  let ids: { letter: string; invoice: string; advert: string; reply: string; other: string }
  beforeAll(async () => {
    ;({ server, agent, admin, auditor } = ctx)
    const db = server.database.db
    const a = await customerWrites(server, '4915199000001', 'Ich bestelle 3 Stühle; Lieferung "bitte" bald.', 'Anna Auftrag')
    const sim = server.simulatorState()
    const mediaId = sim.storeMedia(PNG, 'image/png')
    const invoiceWamid = sim.customerSends('4915199000001', 'Anna Auftrag', 'document', { mime_type: 'image/png', filename: 'Rechnung-2026-17.png', sha256: createHash('sha256').update(PNG).digest('base64'), id: mediaId, caption: 'Rechnung 2026-17' })
    await eventually(() => db.selectFrom('media').select('id').where('state', '=', 'stored').executeTakeFirst())
    const advert = await customerWrites(server, '4915199000001', 'Habt ihr auch Werbung?', 'Anna Auftrag')
    const reply = await agent.inject({ method: 'POST', url: `/api/conversations/${a.conversationId}/messages`, payload: { type: 'text', text: { body: 'Die Stühle kommen Freitag.' } } })
    await eventually(async () => (await db.selectFrom('messages').select('journal_seq').where('id', '=', reply.json().id).executeTakeFirstOrThrow()).journal_seq)
    const other = await customerWrites(server, '4915199000002', 'Anderer Kunde', 'Bert Beispiel')
    const idOf = async (wamid: string) => (await db.selectFrom('messages').select('id').where('wamid', '=', wamid).executeTakeFirstOrThrow()).id
    ids = { letter: await idOf(a.wamid), invoice: await idOf(invoiceWamid), advert: await idOf(advert.wamid), reply: reply.json().id, other: await idOf(other.wamid) }
    contactId = (await db.selectFrom('conversations').select('contact_id').where('id', '=', a.conversationId).executeTakeFirstOrThrow()).contact_id
    await agent.inject({ method: 'PUT', url: `/api/messages/${ids.invoice}/classification`, payload: { class: 'buchungsbeleg', reason: 'Rechnung im Chat' } })
    await agent.inject({ method: 'PUT', url: `/api/messages/${ids.advert}/classification`, payload: { class: 'marketing', reason: 'Werbefrage ohne Geschäft' } })
  }, 60_000)
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })))

  const exportZip = async (caller: Caller, query: string) => caller.inject({ method: 'GET', url: `/api/archive/export?${query}` })

  it('GOBD-13: the auditor sees only tax classes inside the audit period; writes are refused; every query is logged', async () => {
    const query = `from=${today()}&to=${today()}&contactId=${contactId}`
    expect((await auditor.inject({ method: 'GET', url: `/api/archive/search?${query}` })).statusCode).toBe(403) // no audit period yet
    expect((await auditor.inject({ method: 'PUT', url: '/api/archive/audit-scope', payload: { from: '2020-01-01', to: '2030-12-31' } })).statusCode).toBe(403)
    expect((await admin.inject({ method: 'PUT', url: '/api/archive/audit-scope', payload: { from: '2030-01-01', to: '2020-12-31' } })).statusCode).toBe(400)
    expect((await admin.inject({ method: 'PUT', url: '/api/archive/audit-scope', payload: { from: '2020-01-01', to: '2030-12-31' } })).statusCode).toBe(204)

    const res = await auditor.inject({ method: 'GET', url: `/api/archive/search?${query}` })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.items.map((i: { id: string }) => i.id).sort()).toEqual([ids.letter, ids.invoice, ids.reply].sort())
    expect(body.items.find((i: { id: string }) => i.id === ids.invoice)).toMatchObject({ class: 'buchungsbeleg', text: 'Rechnung 2026-17' })
    const byText = (await auditor.inject({ method: 'GET', url: `/api/archive/search?${query}&q=st%C3%BChle&sort=desc` })).json()
    expect(byText.items.map((i: { id: string }) => i.id)).toEqual([ids.reply, ids.letter])
    expect((await auditor.inject({ method: 'GET', url: `/api/archive/search?${query}&q=50%25` })).json().items).toEqual([])
    // Z2: the same query gives the same result, and its definition is in the audit log.
    expect((await auditor.inject({ method: 'GET', url: `/api/archive/search?${query}` })).json().resultSha256).toBe(body.resultSha256)
    const logged = (await admin.inject({ method: 'GET', url: '/api/audit?action=archive.searched&limit=200' })).json().items
    expect(logged.some((e: { actorRole: string; detail: { query?: { contactId?: string } } }) => e.actorRole === 'auditor' && e.detail.query?.contactId === contactId)).toBe(true)

    expect((await auditor.inject({ method: 'GET', url: `/api/archive/search?${query}&classes=marketing` })).statusCode).toBe(403)
    expect((await auditor.inject({ method: 'GET', url: `/api/archive/search?from=2019-01-01&to=${today()}` })).statusCode).toBe(403)
    expect((await auditor.inject({ method: 'GET', url: `/api/archive/search?from=${today()}&to=2019-01-01` })).statusCode).toBe(400)
    expect((await auditor.inject({ method: 'GET', url: `/api/archive/search?from=${today()}&to=${today()}&classes=geheim` })).statusCode).toBe(400)
    expect((await auditor.inject({ method: 'PUT', url: `/api/messages/${ids.letter}/classification`, payload: { class: 'none', reason: 'darf nicht' } })).statusCode).toBe(403)
    expect((await auditor.inject({ method: 'POST', url: `/api/conversations/${body.items[0].conversationId}/messages`, payload: { type: 'text', text: { body: 'x' } } })).statusCode).toBe(403)
    expect((await agent.inject({ method: 'GET', url: `/api/archive/search?${query}` })).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'GET', url: `/api/archive/search?${query}` })).statusCode).toBe(401)
    // The operator may choose to include more.
    const all = (await admin.inject({ method: 'GET', url: `/api/archive/search?${query}&classes=handelsbrief,buchungsbeleg,marketing` })).json()
    expect(all.items.map((i: { id: string }) => i.id)).toContain(ids.advert)
  })

  const ALL_CLASSES = 'handelsbrief,buchungsbeleg,buch,marketing,none'
  /** Every item of a search, page by page. */
  const searchAll = async (caller: Caller, query: string) => {
    const items: { id: string }[] = []
    let cursor: string | undefined
    do {
      const res = await caller.inject({ method: 'GET', url: `/api/archive/search?${query}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}` })
      expect(res.statusCode).toBe(200)
      items.push(...res.json().items)
      cursor = res.json().nextCursor ?? undefined
    } while (cursor)
    return items
  }

  it('GOBD-5: the archive index finds exactly the messages of a contact and a period, under its index fields, and reaches every archived message', async () => {
    const db = server.database.db
    expect((await admin.inject({ method: 'PUT', url: '/api/archive/audit-scope', payload: { from: '2020-01-01', to: '2030-12-31' } })).statusCode).toBe(204)
    // No orphans: every stored message is reachable through the index.
    const everything = await searchAll(admin, `from=2020-01-01&to=${today()}&classes=${ALL_CLASSES}`)
    const stored = await db.selectFrom('messages').select('id').execute()
    expect(everything.map((i) => i.id).sort()).toEqual(stored.map((m) => m.id).sort())
    const channel = await db.selectFrom('channels').select('id').executeTakeFirstOrThrow()
    for (const item of everything) {
      expect(item).toMatchObject({ id: expect.any(String), conversationId: expect.any(String), contactId: expect.any(String), phoneNumberId: channel.id, timestamp: expect.any(String), class: expect.stringMatching(/^(handelsbrief|buchungsbeleg|buch|marketing|none)$/) })
      expect(item).toHaveProperty('retainUntil')
    }
    // By contact and period: exactly that contact's messages; a period before them: none.
    const theirs = await db.selectFrom('messages as m').innerJoin('conversations as c', 'c.id', 'm.conversation_id').select('m.id').where('c.contact_id', '=', contactId).execute()
    expect(theirs.length).toBeLessThan(stored.length)
    const byContact = await searchAll(admin, `from=${today()}&to=${today()}&contactId=${contactId}&classes=${ALL_CLASSES}`)
    expect(byContact.map((i) => i.id).sort()).toEqual(theirs.map((m) => m.id).sort())
    expect(await searchAll(admin, `from=2020-01-01&to=2020-12-31&classes=${ALL_CLASSES}`)).toEqual([])
  })

  it('GOBD-14: a parameterised query (contact, period, class) is recorded with its definition and gives the same result set when run again', async () => {
    expect((await admin.inject({ method: 'PUT', url: '/api/archive/audit-scope', payload: { from: '2020-01-01', to: '2030-12-31' } })).statusCode).toBe(204)
    const query = `from=${today()}&to=${today()}&contactId=${contactId}&classes=handelsbrief,buchungsbeleg`
    const first = (await auditor.inject({ method: 'GET', url: `/api/archive/search?${query}` })).json()
    expect(first.query).toEqual({ from: today(), to: today(), contactId, classes: ['handelsbrief', 'buchungsbeleg'], q: null, sort: 'asc', cursor: null, limit: 50 })
    expect(first.items.map((i: { id: string }) => i.id).sort()).toEqual([ids.letter, ids.invoice, ids.reply].sort())
    expect(first.resultSha256).toBe(createHash('sha256').update(first.items.map((i: { id: string }) => i.id).join('\n')).digest('hex'))
    // The definition and the result's digest are in the audit log; the recorded definition, run again, gives the same set.
    const logged = (await admin.inject({ method: 'GET', url: '/api/audit?action=archive.searched&limit=200' })).json().items as { actorRole: string; detail: { query?: Record<string, unknown>; resultSha256?: string } }[]
    const recorded = logged.find((e) => e.actorRole === 'auditor' && e.detail.resultSha256 === first.resultSha256)
    expect(recorded?.detail.query).toEqual(first.query)
    const definition = recorded!.detail.query as { from: string; to: string; contactId: string; classes: string[] }
    const again = (await auditor.inject({ method: 'GET', url: `/api/archive/search?from=${definition.from}&to=${definition.to}&contactId=${definition.contactId}&classes=${definition.classes.join(',')}` })).json()
    expect(again.resultSha256).toBe(first.resultSha256)
    expect(again.items).toEqual(first.items)
    // Another class selection is another result set.
    const narrower = (await auditor.inject({ method: 'GET', url: `/api/archive/search?${query.replace('handelsbrief,buchungsbeleg', 'buchungsbeleg')}` })).json()
    expect(narrower.items.map((i: { id: string }) => i.id)).toEqual([ids.invoice])
    expect(narrower.resultSha256).not.toBe(first.resultSha256)
  })

  it('GOBD-15, GOBD-11 (a): the Z3 ZIP validates against the DTD, its CSVs parse as index.xml declares, and it holds exactly the tax-relevant messages', async () => {
    const res = await exportZip(auditor, `from=${today()}&to=${today()}&contactId=${contactId}`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/zip')
    const dir = extract(res.rawPayload)
    dirs.push(dir)
    expect(await dtdErrors(dir)).toEqual([])
    const xml = fs.readFileSync(path.join(dir, 'index.xml'), 'utf8')
    // The validator does check our document: a Table with its elements out of order is refused.
    fs.writeFileSync(path.join(dir, 'broken.xml'), xml.replace(/(<URL>.*?<\/URL>)(\s*)(<Name>.*?<\/Name>)/, '$3$2$1'))
    expect((await dtdErrors(dir, 'broken.xml')).join('\n')).toMatch(/Element Table content does not follow the DTD/)
    expect(xml).toContain('<!DOCTYPE DataSet SYSTEM "gdpdu-01-09-2004.dtd">')
    const tables = [...xml.matchAll(/<Table>([\s\S]*?)<\/Table>/g)].map((m) => m[1]!)
    expect(tables).toHaveLength(5)
    for (const t of tables) {
      const url = /<URL>(.*?)<\/URL>/.exec(t)![1]!
      expect(url).not.toMatch(/^[a-z]+:|^\//)
      expect(t).toContain('<UTF8/>')
      const delimiter = /<ColumnDelimiter>(.*?)<\/ColumnDelimiter>/.exec(t)![1]!
      const quote = /<TextEncapsulator>(.*?)<\/TextEncapsulator>/.exec(t)![1]!
      expect(/<RecordDelimiter>(.*?)<\/RecordDelimiter>/.exec(t)![1]).toBe('&#13;&#10;')
      const columns = [...t.matchAll(/<Variable(?:PrimaryKey|Column)><Name>(.*?)<\/Name><Description>.*?<\/Description>(<Numeric>|<Date>|<AlphaNumeric\/>)/g)].map((m) => ({ name: m[1]!, type: m[2]! }))
      const text = fs.readFileSync(path.join(dir, url), 'utf8')
      const rows = parse(text, { delimiter, quote: quote === '&quot;' ? '"' : quote, record_delimiter: '\r\n', relax_column_count: false }) as string[][]
      expect(rows[0]).toEqual(columns.map((c) => c.name))
      for (const row of rows.slice(1)) {
        columns.forEach((c, i) => {
          if (c.type === '<Numeric>' && row[i] !== '') expect(row[i]).toMatch(/^-?\d+$/)
          if (c.type === '<Date>') expect(row[i]).toMatch(/^(\d{2}\.\d{2}\.\d{4})?$/)
        })
      }
    }
    const messages = parse(fs.readFileSync(path.join(dir, 'nachrichten.csv'), 'utf8'), { delimiter: ';', record_delimiter: '\r\n', columns: true }) as Record<string, string>[]
    expect(messages.map((m) => m.nachricht_id).sort()).toEqual([ids.letter, ids.invoice, ids.reply].sort())
    expect(messages.find((m) => m.nachricht_id === ids.letter)!.text).toBe('Ich bestelle 3 Stühle; Lieferung "bitte" bald.')
    expect(messages.find((m) => m.nachricht_id === ids.invoice)!.klasse).toBe('buchungsbeleg')
    expect(fs.readFileSync(path.join(dir, 'kontakte.csv'), 'utf8')).not.toContain('4915199000002')
    // The media index names the file as the customer sent it (from the sealed message; the media table keeps no name).
    const media = parse(fs.readFileSync(path.join(dir, 'medien.csv'), 'utf8'), { delimiter: ';', record_delimiter: '\r\n', columns: true }) as Record<string, string>[]
    expect(media).toEqual([expect.objectContaining({ nachricht_id: ids.invoice, mime_typ: 'image/png', dateiname: 'Rechnung-2026-17.png' })])

    // GOBD-7: originals and media byte for byte.
    for (const m of messages) {
      const journal = await server.database.db.selectFrom('journal').select('content').where('seq', '=', Number(m.journal_seq)).executeTakeFirstOrThrow()
      const original = (await server.sealer.open(server.database.db, Buffer.from(journal.content!)))!.payload
      expect(fs.readFileSync(path.join(dir, 'raw', `${m.journal_seq}.json`)).equals(original)).toBe(true)
      expect(original.toString('utf8')).toContain(m.wamid!)
    }
    expect(fs.readFileSync(path.join(dir, 'media', createHash('sha256').update(PNG).digest('hex'))).equals(PNG)).toBe(true)
    const exported = (await admin.inject({ method: 'GET', url: '/api/audit?action=archive.exported' })).json().items
    expect(exported).toHaveLength(1)
  })

  it('ARCH-5: the bundle verifies offline with its standalone verifier and with postfach archive verify-bundle; a changed byte fails, naming the file', async () => {
    const zip = (await exportZip(admin, `from=${today()}&to=${today()}`)).rawPayload
    const dir = extract(zip)
    dirs.push(dir)
    // The verifier alone, copied away from the repository: no dependencies beyond Node.
    const ok = await exec(process.execPath, ['verify.mjs'], dir)
    expect(ok.out).toMatch(/unverändert und vollständig/)
    expect(ok.code).toBe(0)
    const zipFile = path.join(dir, '..', `${path.basename(dir)}.zip`)
    fs.writeFileSync(zipFile, zip)
    const cli = await exec(process.execPath, ['--import', 'tsx', 'src/cli-main.ts', 'archive', 'verify-bundle', zipFile])
    expect(cli.out).toMatch(/The bundle is intact/)
    expect(cli.code).toBe(0)

    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'archive/manifest.json'), 'utf8'))
    const target = manifest.entries.find((e: { kind: string }) => e.kind === 'whatsapp.webhook').file as string
    const original = fs.readFileSync(path.join(dir, target))
    const changed = Buffer.from(original)
    changed[changed.length - 2]! ^= 0x01 // one bit of one byte
    fs.writeFileSync(path.join(dir, target), changed)
    const bad = await exec(process.execPath, ['verify.mjs'], dir)
    expect(bad.code).toBe(1)
    expect(bad.out).toContain(`FEHLER ${target}: the bytes differ`)
    fs.writeFileSync(path.join(dir, target), original)

    const files = unzipSync(zip)
    files['archive/checkpoint.txt'] = Buffer.from(Buffer.from(files['archive/checkpoint.txt']!).toString('utf8').replace(/\n(\d+)\n/, (_, n) => `\n${Number(n) + 1}\n`))
    fs.writeFileSync(zipFile, zipSync(files))
    const forged = await exec(process.execPath, ['--import', 'tsx', 'src/cli-main.ts', 'archive', 'verify-bundle', zipFile])
    expect(forged.code).toBe(1)
    expect(forged.out).toMatch(/checkpoint.txt: the signature does not verify/)
    fs.rmSync(zipFile)
  })
})
