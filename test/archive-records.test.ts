import { inflateSync } from 'node:zlib'
import fs from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { berlinYear, type Caller, customerWrites, DIALECT, eventually, type TestServer, useTestServer } from './helpers.js'

const VERSION = (JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string }).version
type Json = Record<string, any>

describe(`${DIALECT}: archive records: lifecycle, classification, legal holds`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer, agent: Caller, admin: Caller, auditor: Caller
  beforeAll(() => {
    ;({ server, agent, admin, auditor } = ctx)
  })
  const contactOf = (conversationId: string) => server.database.db.selectFrom('conversations').select('contact_id').where('id', '=', conversationId).executeTakeFirstOrThrow()

  it('GOBD-1: one call returns a message\'s whole lifecycle, each step with actor, time, log entry and software version', async () => {
    const { conversationId, wamid } = await customerWrites(server, '4915188000001', 'Ich möchte bestellen.')
    const reply = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Gern!' } } })
    const outboundId = reply.json().id as string
    const statuses = () => server.database.db.selectFrom('messages').select('status').where('id', '=', outboundId).executeTakeFirstOrThrow()
    await eventually(async () => (await statuses()).status === 'read')
    await server.archive.sync({ forceCheckpoint: true })

    const out = await auditor.inject({ method: 'GET', url: `/api/archive/messages/${outboundId}/lifecycle` })
    expect(out.statusCode).toBe(200)
    const life = out.json()
    expect(life.message).toMatchObject({ id: outboundId, conversationId, direction: 'outbound', class: 'handelsbrief', retainUntil: `${berlinYear() + 6}-12-31` })
    const names = life.steps.map((s: Json) => s.step) as string[]
    // Meta's 'sent' webhook may overtake our record of its HTTP answer; the rest is ordered.
    expect(names[0]).toBe('queued')
    expect([...names].sort()).toEqual(['accepted', 'delivered', 'queued', 'read', 'sent'])
    expect(names.indexOf('delivered')).toBeLessThan(names.indexOf('read'))
    expect(life.steps[0].actor).toEqual({ kind: 'user', id: agent.userId })
    for (const s of life.steps.slice(1)) {
      expect(s.actor.kind).toBe('meta')
      expect(s.leafIndex).toEqual(expect.any(Number))
      expect(s.journalSeq).toEqual(expect.any(Number))
    }
    for (const s of life.steps) expect(s.version).toBe(VERSION)
    const times = life.steps.map((s: Json) => s.at)
    expect([...times].sort()).toEqual(times)

    const inboundId = (await server.database.db.selectFrom('messages').select('id').where('wamid', '=', wamid).executeTakeFirstOrThrow()).id
    const inbound = (await auditor.inject({ method: 'GET', url: `/api/archive/messages/${inboundId}/lifecycle` })).json()
    expect(inbound.steps.map((s: Json) => s.step)).toEqual(['received', 'stored'])
    expect(inbound.steps[0]).toMatchObject({ actor: { kind: 'customer', id: (await contactOf(conversationId)).contact_id }, leafIndex: expect.any(Number) })
    // The release that wrote the steps is itself recorded, in the table and in the log.
    const releases = await server.database.db.selectFrom('archive_releases').selectAll().execute()
    expect(releases.map((r) => r.version)).toEqual([VERSION])
    expect(await server.database.db.selectFrom('journal').select('seq').where('kind', '=', 'archive.release').execute()).toHaveLength(1)

    expect((await agent.inject({ method: 'GET', url: `/api/archive/messages/${inboundId}/lifecycle` })).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'GET', url: `/api/archive/messages/${inboundId}/lifecycle` })).statusCode).toBe(401)
    expect((await auditor.inject({ method: 'GET', url: '/api/archive/messages/nope/lifecycle' })).statusCode).toBe(404)
    // Auditor reads are logged.
    expect((await auditor.inject({ method: 'GET', url: '/api/audit?action=archive.searched' })).json().items.length).toBeGreaterThanOrEqual(2)
  })

  it('GOBD-11: reclassification keeps every change with its reason and author; the lifecycle shows it', async () => {
    const { conversationId, wamid } = await customerWrites(server, '4915188000002', 'Hier ist meine Rechnung.')
    const messageId = (await server.database.db.selectFrom('messages').select('id').where('wamid', '=', wamid).executeTakeFirstOrThrow()).id
    const put = (caller: Caller, url: string, payload: unknown) => caller.inject({ method: 'PUT', url, payload: payload as object })
    expect((await put(agent, `/api/conversations/${conversationId}/classification`, { class: 'marketing', reason: 'Nur Werbung, kein Geschäft' })).statusCode).toBe(204)
    expect((await put(agent, `/api/messages/${messageId}/classification`, { class: 'buchungsbeleg', reason: 'Rechnung als Anhang' })).statusCode).toBe(204)
    // Bad input changes nothing.
    expect((await put(agent, `/api/messages/${messageId}/classification`, { class: 'buchungsbeleg' })).statusCode).toBe(400)
    expect((await put(agent, `/api/messages/${messageId}/classification`, { class: 'geheim', reason: 'weil ich es sage' })).statusCode).toBe(400)
    expect((await put(auditor, `/api/messages/${messageId}/classification`, { class: 'none', reason: 'Prüfer darf nicht' })).statusCode).toBe(403)
    expect((await put(agent, '/api/messages/nope/classification', { class: 'none', reason: 'gibt es nicht' })).statusCode).toBe(404)
    expect((await server.app.inject({ method: 'PUT', url: `/api/messages/${messageId}/classification`, payload: { class: 'none', reason: 'anonym geht nicht' } })).statusCode).toBe(401)

    const history = (await auditor.inject({ method: 'GET', url: `/api/conversations/${conversationId}/classifications` })).json().items
    expect(history).toEqual([
      expect.objectContaining({ messageId: null, previousClass: null, class: 'marketing', reason: 'Nur Werbung, kein Geschäft', actorId: agent.userId }),
      expect.objectContaining({ messageId, previousClass: null, class: 'buchungsbeleg', reason: 'Rechnung als Anhang', actorId: agent.userId }),
    ])
    const life = (await auditor.inject({ method: 'GET', url: `/api/archive/messages/${messageId}/lifecycle` })).json()
    expect(life.message).toMatchObject({ class: 'buchungsbeleg', retainUntil: `${berlinYear() + 8}-12-31` })
    expect(life.steps.filter((s: Json) => s.step === 'classified').map((s: Json) => s.detail.to)).toEqual(['marketing', 'buchungsbeleg'])
    expect(await server.database.db.selectFrom('journal').select('seq').where('kind', '=', 'archive.classification').execute()).toHaveLength(2)
    await expect(server.database.db.deleteFrom('archive_classifications').execute()).rejects.toThrow(/append-only/)
  })

  it('GOBD-10, SHRED-2: a legal hold stops erasure (logged with the reason), and after its release the data goes', async () => {
    const db = server.database.db
    const { conversationId } = await customerWrites(server, '4915188000003', 'Ich widerspreche der Rechnung.')
    await agent.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/classification`, payload: { class: 'none', reason: 'kein Handelsbrief' } })
    const { contact_id: contactId } = await contactOf(conversationId)

    const bad = await admin.inject({ method: 'POST', url: '/api/archive/holds', payload: { scope: 'period', from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z', reason: 'verkehrt herum' } })
    expect(bad.statusCode).toBe(400)
    expect((await admin.inject({ method: 'POST', url: '/api/archive/holds', payload: { scope: 'conversation', conversationId: 'nope', reason: 'gibt es nicht' } })).statusCode).toBe(404)
    expect((await admin.inject({ method: 'POST', url: '/api/archive/holds', payload: { scope: 'conversation', conversationId } })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'POST', url: '/api/archive/holds', payload: { scope: 'conversation', conversationId, reason: 'Rechtsstreit' } })).statusCode).toBe(403)
    const hold = await admin.inject({ method: 'POST', url: '/api/archive/holds', payload: { scope: 'conversation', conversationId, reason: 'Rechtsstreit Az. 3 O 12/26' } })
    expect(hold.statusCode).toBe(201)
    const holdId = hold.json().id as string

    const dsr = (await admin.inject({ method: 'POST', url: '/api/privacy/requests', payload: { kind: 'erasure', channel: 'whatsapp', contactId } })).json()
    await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/verify-identity` })
    const erased = await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/erase` })
    expect(erased.statusCode).toBe(200)
    expect(erased.json().summary.held).toEqual({ messages: 1, holds: [holdId] })
    expect(erased.json().letter).toMatch(/Rechtsstreit/)
    expect(await db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute()).toHaveLength(1)
    expect(await db.selectFrom('contacts').select(['restriction_reason']).where('id', '=', contactId).executeTakeFirstOrThrow()).toEqual({ restriction_reason: 'legal-hold' })

    // The daily job looks again, skips the held data and says why.
    await db.updateTable('contacts').set({ erase_after: '2020-12-31' }).where('id', '=', contactId).execute()
    await admin.inject({ method: 'POST', url: '/api/privacy/retention/run' })
    expect(await db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute()).toHaveLength(1)
    const blocked = (await admin.inject({ method: 'GET', url: `/api/audit?contactId=${contactId}&action=archive.hold_blocked` })).json().items
    expect(blocked).toHaveLength(1)
    expect(JSON.parse(JSON.stringify(blocked[0].detail))).toMatchObject({ holds: [holdId], messages: 1 })

    expect((await admin.inject({ method: 'POST', url: `/api/archive/holds/${holdId}/release`, payload: { reason: 'x' } })).statusCode).toBe(400)
    const released = await admin.inject({ method: 'POST', url: `/api/archive/holds/${holdId}/release`, payload: { reason: 'Verfahren rechtskräftig beendet' } })
    expect(released.json()).toMatchObject({ releasedBy: admin.userId, releaseReason: 'Verfahren rechtskräftig beendet' })
    expect((await admin.inject({ method: 'POST', url: `/api/archive/holds/${holdId}/release`, payload: { reason: 'noch einmal' } })).statusCode).toBe(409)
    await db.updateTable('contacts').set({ erase_after: '2020-12-31' }).where('id', '=', contactId).execute()
    await admin.inject({ method: 'POST', url: '/api/privacy/retention/run' })
    expect(await db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute()).toHaveLength(0)
    expect((await db.selectFrom('contacts').select('erased_at').where('id', '=', contactId).executeTakeFirstOrThrow()).erased_at).not.toBeNull()

    const list = (await auditor.inject({ method: 'GET', url: '/api/archive/holds' })).json().items
    expect(list.find((h: Json) => h.id === holdId)).toMatchObject({ scope: 'conversation', conversationId, releasedAt: expect.any(String) })
    expect((await auditor.inject({ method: 'GET', url: '/api/archive/holds?active=1' })).json().items.find((h: Json) => h.id === holdId)).toBeUndefined()
    expect((await agent.inject({ method: 'GET', url: '/api/archive/holds' })).statusCode).toBe(403)
    expect(await db.selectFrom('journal').select('seq').where('kind', '=', 'archive.hold').execute()).toHaveLength(2)
  })
})

/** The text pdfkit wrote (Helvetica, WinAnsi hex strings in deflated content streams), words joined. */
function pdfText(pdf: Buffer): string {
  const out: string[] = []
  const raw = pdf.toString('latin1')
  for (const m of raw.matchAll(/stream\r?\n([\s\S]*?)endstream/g)) {
    let content: string
    try {
      content = inflateSync(Buffer.from(m[1]!, 'latin1')).toString('latin1')
    } catch {
      continue
    }
    for (const line of content.split('\n')) {
      const parts = [...line.matchAll(/<([0-9a-fA-F]+)>|\](?=\s*TJ)/g)].map((p) => (p[1] ? Buffer.from(p[1], 'hex').toString('latin1') : ''))
      if (parts.length) out.push(parts.join(''))
    }
  }
  return out.join(' ').replace(/\s+/g, ' ')
}

describe(`${DIALECT}: GOBD-12 the procedure documentation`, () => {
  const ctx = useTestServer()
  it('is generated from the running system with its technical section, version history and the release in force per journal range', async () => {
    const { server } = ctx
    const auditor = await server.login('auditor')
    const html = await auditor.inject({ method: 'GET', url: '/api/archive/procedure' })
    expect(html.statusCode).toBe(200)
    expect(html.headers['content-type']).toMatch(/^text\/html/)
    for (const part of ['3. Technische Systemdokumentation', 'postfach-leaf/1', 'RFC 6962', 'Kontaktdaten (Name, Telefonnummer, WhatsApp-Nutzerkennung)', server.archive.verifierKey.name, 'Handelsbriefe 6 Jahre', '8. Versionsgeschichte', `Dokumentversion ${VERSION}`]) expect(html.body).toContain(part)
    const json = (await auditor.inject({ method: 'GET', url: '/api/archive/procedure?format=json' })).json()
    expect(json.version).toBe(VERSION)
    expect(json.sections.map((s: Json) => s.id)).toEqual(['general', 'user', 'technical', 'operations', 'controls', 'retention', 'export'])
    expect(json.releases).toEqual([expect.objectContaining({ version: VERSION, fromJournalEntry: expect.any(Number) })])
    expect((await ctx.agent.inject({ method: 'GET', url: '/api/archive/procedure' })).statusCode).toBe(403)
    // The PDF for the auditor's file holds the same sections (text read back from its content streams).
    const pdf = await auditor.inject({ method: 'GET', url: '/api/archive/procedure?format=pdf' })
    expect(pdf.headers['content-type']).toBe('application/pdf')
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-')
    const text = pdfText(pdf.rawPayload)
    for (const part of ['Verfahrensdokumentation', '3. Technische Systemdokumentation', 'RFC 6962', '8. Versionsgeschichte', `Dokumentversion ${VERSION}`]) expect(text).toContain(part)
    expect((await auditor.inject({ method: 'GET', url: '/api/archive/procedure?format=docx' })).statusCode).toBe(400)
  })
})
