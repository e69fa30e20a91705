import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { unzipSync } from 'fflate'
import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { openNoteBodies } from '../src/modules/notes/notes.repo.js'
import { addMonths, dsrDueDate, localDate, localYear } from '../src/modules/privacy/deadlines.js'
import { subjectExportSchema } from '../src/modules/privacy/subject-export.js'
import { berlinYear, type Caller, contactByNumber, customerWrites, DIALECT, eventually, type TestServer, useTestServer } from './helpers.js'

type Json = Record<string, any>
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

describe('GDPR-12: deadlines count calendar months as EU law does', () => {
  it('ends on the same date of the next month, or on its last day', () => {
    expect(addMonths('2026-03-15', 1)).toBe('2026-04-15')
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28')
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29')
    expect(addMonths('2026-11-30', 3)).toBe('2027-02-28')
    expect(addMonths('2026-12-31', 1)).toBe('2027-01-31')
    // Received late in the evening in Berlin: the Berlin date counts, not the UTC one.
    expect(dsrDueDate('2026-01-31T23:30:00.000Z')).toBe('2026-03-01')
  })

  it('counts a year in the company time zone, also on New Year Eve (retention, keys per year)', () => {
    expect(localYear('2026-12-31T22:59:59.999Z')).toBe('2026')
    expect(localYear('2026-12-31T23:00:00.000Z')).toBe('2027') // midnight in Berlin (CET)
    expect(localYear('2027-01-01T07:00:00.000Z', 'America/Los_Angeles')).toBe('2026')
    expect(localYear('2027-01-01T00:30:00+02:00')).toBe('2026') // not in UTC: formatted
    // Every hour of two years, in three zones: the same year as the full calendar formatting.
    for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2028, 0, 1); t += 3_600_000 + 61_000) {
      const iso = new Date(t).toISOString()
      for (const zone of ['Europe/Berlin', 'Pacific/Kiritimati', 'Pacific/Pago_Pago']) expect(localYear(iso, zone), `${iso} ${zone}`).toBe(localDate(iso, zone).slice(0, 4))
    }
  })
})

describe(`${DIALECT}: data-subject rights, audit log, breach register, Art. 30 record`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer, agent: Caller, admin: Caller, auditor: Caller
  beforeAll(() => {
    ;({ server, agent, admin, auditor } = ctx)
  })
  const contactOf = async (waId: string): Promise<Json> => (await agent.inject({ method: 'GET', url: `/api/contacts?waId=${waId}` })).json().items[0]
  const createRequest = (payload: object) => admin.inject({ method: 'POST', url: '/api/privacy/requests', payload })

  it('GDPR-12: a request gets its due date from receipt, shows overdue, and an extension needs a reason and must come in time', async () => {
    const jan = await createRequest({ kind: 'access', channel: 'letter', receivedAt: '2026-01-31T09:00:00+01:00' })
    expect(jan.statusCode).toBe(201)
    expect(jan.json()).toMatchObject({ dueDate: '2026-02-28', status: 'open', overdue: true })
    const leap = await createRequest({ kind: 'erasure', channel: 'email', receivedAt: '2024-01-31T09:00:00+01:00' })
    expect(leap.json().dueDate).toBe('2024-02-29')

    const fresh = (await createRequest({ kind: 'access', channel: 'whatsapp' })).json()
    expect(fresh.overdue).toBe(false)
    expect(fresh.daysLeft).toBeGreaterThanOrEqual(28)
    // No reason, too short a reason, or three months: refused, nothing changed.
    for (const payload of [{ months: 2 }, { months: 2, reason: 'viel' }, { months: 3, reason: 'Sehr viele Unterlagen in drei Systemen' }]) {
      expect((await admin.inject({ method: 'POST', url: `/api/privacy/requests/${fresh.id}/extend`, payload })).statusCode).toBe(400)
    }
    expect((await admin.inject({ method: 'GET', url: `/api/privacy/requests/${fresh.id}` })).json().dueDate).toBe(fresh.dueDate)
    const extended = await admin.inject({ method: 'POST', url: `/api/privacy/requests/${fresh.id}/extend`, payload: { months: 2, reason: 'Sehr viele Unterlagen in drei Systemen' } })
    expect(extended.statusCode).toBe(200)
    expect(extended.json()).toMatchObject({ dueDate: addMonths(fresh.originalDueDate, 2), extensionReason: 'Sehr viele Unterlagen in drei Systemen' })
    expect((await admin.inject({ method: 'POST', url: `/api/privacy/requests/${fresh.id}/extend`, payload: { months: 1, reason: 'Noch einmal verlängern bitte' } })).statusCode).toBe(409)
    // The first month is over: too late to extend.
    const late = await admin.inject({ method: 'POST', url: `/api/privacy/requests/${jan.json().id}/extend`, payload: { months: 1, reason: 'Sehr viele Unterlagen in drei Systemen' } })
    expect(late.statusCode).toBe(409)
    expect(late.json().type).toMatch(/extension-too-late$/)

    const dashboard = (await admin.inject({ method: 'GET', url: '/api/privacy/requests' })).json()
    expect(dashboard.overdue).toBeGreaterThanOrEqual(2)
    expect(dashboard.items.filter((i: Json) => i.overdue).map((i: Json) => i.id)).toEqual(expect.arrayContaining([jan.json().id, leap.json().id]))
    // Answering needs a verified identity; the closed request leaves the open list.
    expect((await admin.inject({ method: 'POST', url: `/api/privacy/requests/${fresh.id}/complete`, payload: { outcome: 'Auskunft per WhatsApp übermittelt.' } })).statusCode).toBe(409)
    await admin.inject({ method: 'POST', url: `/api/privacy/requests/${fresh.id}/verify-identity` })
    const done = await admin.inject({ method: 'POST', url: `/api/privacy/requests/${fresh.id}/complete`, payload: { outcome: 'Auskunft per WhatsApp übermittelt.' } })
    expect(done.json()).toMatchObject({ status: 'completed', overdue: false, daysLeft: null })
    expect((await admin.inject({ method: 'GET', url: '/api/privacy/requests' })).json().items.map((i: Json) => i.id)).not.toContain(fresh.id)
  })

  it('GDPR-12: bad input is refused and stores nothing; agents and auditors cannot handle requests', async () => {
    const before = await server.database.db.selectFrom('dsr_requests').select('id').execute()
    expect((await createRequest({ kind: 'gossip', channel: 'letter' })).statusCode).toBe(400)
    expect((await createRequest({ kind: 'access', channel: 'letter', receivedAt: '2999-01-01T00:00:00Z' })).statusCode).toBe(400)
    expect((await createRequest({ kind: 'access', channel: 'letter', contactId: 'nope' })).statusCode).toBe(404)
    expect((await admin.inject({ method: 'POST', url: '/api/privacy/requests', headers: { 'content-type': 'application/json' }, payload: '{"kind":' })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'POST', url: '/api/privacy/requests', payload: { kind: 'access', channel: 'letter' } })).statusCode).toBe(403)
    expect((await auditor.inject({ method: 'GET', url: '/api/privacy/requests' })).statusCode).toBe(403)
    expect((await server.database.db.selectFrom('dsr_requests').select('id').execute()).length).toBe(before.length)
  })

  it('GDPR-15 and GDPR-20: the access package holds every record linked to the person, as JSON matching the published schema, HTML and media', async () => {
    const waId = '4915400000001'
    const { conversationId } = await customerWrites(server, waId, 'Ich möchte wissen, was Sie über mich speichern.', 'Erika Muster')
    const sim = server.simulatorState()
    const mediaId = sim.storeMedia(PNG, 'image/png')
    const imageWamid = sim.customerSends(waId, 'Erika Muster', 'image', { mime_type: 'image/png', sha256: createHash('sha256').update(PNG).digest('base64'), id: mediaId, caption: 'Beleg' })
    await eventually(() => server.database.db.selectFrom('media').innerJoin('messages', 'messages.id', 'media.id').select('media.state').where('messages.wamid', '=', imageWamid).where('media.state', '=', 'stored').executeTakeFirst())
    await customerWrites(server, waId, 'START', 'Erika Muster')
    const reply = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Wir stellen die Auskunft zusammen.' } } })
    expect(reply.statusCode).toBe(202)
    await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/notes`, payload: { body: 'Auskunftsersuchen eingegangen', mentions: [] } })
    const label = (await admin.inject({ method: 'POST', url: '/api/labels', payload: { name: 'Auskunft', color: '#2563eb' } })).json()
    await agent.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/labels/${label.id}` })
    const contact = await contactOf(waId)
    expect((await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages` })).statusCode).toBe(200)
    await createRequest({ kind: 'access', channel: 'whatsapp', contactId: contact.id })
    await eventually(async () => (await server.database.db.selectFrom('messages').select('status').where('id', '=', reply.json().id).executeTakeFirstOrThrow()).status === 'read')

    const res = await admin.inject({ method: 'GET', url: `/api/contacts/${contact.id}/export` })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/zip')
    const files = unzipSync(new Uint8Array(res.rawPayload))
    const data = JSON.parse(Buffer.from(files['data.json']!).toString('utf8'))
    // Portability: the JSON matches the published schema.
    expect(() => subjectExportSchema.parse(data)).not.toThrow()
    const published = (await agent.inject({ method: 'GET', url: '/api/privacy/export-schema.json' })).json()
    expect(published).toEqual(JSON.parse(JSON.stringify(z.toJSONSchema(subjectExportSchema))))
    expect(JSON.parse(Buffer.from(files['schema.json']!).toString('utf8'))).toEqual(published)

    // Referential scan: every row that points at this contact or its conversations is in the package.
    const db = server.database.db
    const conversations = await db.selectFrom('conversations').select('id').where('contact_id', '=', contact.id).execute()
    const ids = conversations.map((c) => c.id)
    const messages = await db.selectFrom('messages').select(['id', 'wamid']).where('conversation_id', 'in', ids).execute()
    const exportedMessages = data.conversations.flatMap((c: Json) => c.messages.map((m: Json) => m.id))
    expect(exportedMessages.sort()).toEqual(messages.map((m) => m.id).sort())
    expect(data.conversations.map((c: Json) => c.id).sort()).toEqual(ids.sort())
    const notes = await openNoteBodies(db, server.vault.details, await db.selectFrom('notes').select('body').where('conversation_id', 'in', ids).execute(), () => contact.id)
    expect(notes.map((n) => n.body)).toContain('Auskunftsersuchen eingegangen')
    expect(data.conversations.flatMap((c: Json) => c.notes.map((n: Json) => n.text)).sort()).toEqual(notes.map((n) => n.body).sort())
    expect(data.conversations[0].labels).toEqual(['Auskunft'])
    const consentEvents = await db.selectFrom('consent_events').select('id').where('contact_id', '=', contact.id).execute()
    expect(data.consents.flatMap((c: Json) => c.events).length).toBe(consentEvents.length)
    expect(data.consents.find((c: Json) => c.purpose === 'marketing').state).toBe('confirmed')
    const statuses = await db.selectFrom('message_statuses').select('wamid').where('wamid', 'in', messages.flatMap((m) => (m.wamid ? [m.wamid] : []))).execute()
    expect(data.statuses.length).toBe(statuses.length)
    expect(data.requests).toHaveLength(1)
    expect(data.contact).toMatchObject({ id: contact.id, waId, profileName: 'Erika Muster' })
    // Media travel as files; the colleague who answered is a pseudonym, not a name or id.
    const media = data.media.find((m: Json) => m.mimeType === 'image/png')
    expect(Buffer.from(files[media.file]!).equals(PNG)).toBe(true)
    const outbound = data.conversations[0].messages.find((m: Json) => m.direction === 'outbound' && m.text?.body === 'Wir stellen die Auskunft zusammen.')
    expect(outbound.sentBy).toBe('Mitarbeiter 1')
    expect(Buffer.from(files['data.json']!).toString('utf8')).not.toContain(agent.userId!)
    // The readable half says the same.
    const html = Buffer.from(files['index.html']!).toString('utf8')
    expect(html).toContain('Ich möchte wissen, was Sie über mich speichern.')
    expect(html).toContain(media.file)
    // The export itself is audited, and now shows up for the person.
    const auditRows = (await auditor.inject({ method: 'GET', url: `/api/audit?contactId=${contact.id}` })).json().items
    expect(auditRows.map((a: Json) => a.action)).toEqual(expect.arrayContaining(['contact.exported', 'conversation.read', 'dsr.created']))
    expect(auditRows.find((a: Json) => a.action === 'contact.exported')).toMatchObject({ actorRole: 'admin', actorKind: 'user' })
  })

  it('GDPR-15: the package for a contact with 10,000 messages is produced in one request', async () => {
    const waId = '4915400000002'
    const { conversationId, wamid } = await customerWrites(server, waId, 'Hallo')
    // Earlier than the customer's message (whose time has whole seconds), so that it stays the last one.
    const now = Date.parse((await server.database.db.selectFrom('messages').select('timestamp').where('wamid', '=', wamid).executeTakeFirstOrThrow()).timestamp)
    const rows = Array.from({ length: 10_000 }, (_, i) => ({
      id: `bulk${String(i).padStart(22, '0')}`, conversation_id: conversationId, wamid: `wamid.bulk-${i}`, direction: 'inbound' as const, type: 'text', status: 'received' as const,
      timestamp: new Date(now - (10_000 - i) * 1000).toISOString(), content: JSON.stringify({ type: 'text', text: { body: `Nachricht ${i}` } }), key_id: null, context_wamid: null,
      error_code: null, error_title: null, error_detail: null, sent_by: null, journal_seq: null, created_at: new Date().toISOString(), updated_at: new Date().toISOString(),
    }))
    for (let i = 0; i < rows.length; i += 500) await server.database.db.insertInto('messages').values(rows.slice(i, i + 500)).execute()
    const contact = await contactOf(waId)
    const res = await admin.inject({ method: 'GET', url: `/api/contacts/${contact.id}/export` })
    expect(res.statusCode).toBe(200)
    const data = JSON.parse(Buffer.from(unzipSync(new Uint8Array(res.rawPayload))['data.json']!).toString('utf8'))
    expect(data.conversations[0].messages).toHaveLength(10_001)
    expect(data.conversations[0].messages.at(-1).text.body).toBe('Hallo')
  })

  it('GDPR-15: only admins export; unknown contacts are 404', async () => {
    const contact = await contactOf('4915400000001')
    expect((await agent.inject({ method: 'GET', url: `/api/contacts/${contact.id}/export` })).statusCode).toBe(403)
    expect((await auditor.inject({ method: 'GET', url: `/api/contacts/${contact.id}/export` })).statusCode).toBe(403)
    expect((await admin.inject({ method: 'GET', url: '/api/contacts/nope/export' })).statusCode).toBe(404)
  })

  it('GDPR-16: rectifying a name changes the live views, keeps the archived message bytes, and the history links both', async () => {
    const waId = '4915400000003'
    const { conversationId, wamid } = await customerWrites(server, waId, 'Ich heiße Meier, nicht Maier.', 'Hans Maier')
    const contact = await contactOf(waId)
    const journalBefore = await server.database.db.selectFrom('journal').select(['seq', 'content_sha256']).orderBy('seq').execute()
    const res = await agent.inject({ method: 'POST', url: `/api/contacts/${contact.id}/corrections`, payload: { field: 'name', value: 'Hans Meier', reason: 'Kunde hat den Namen berichtigt' } })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ oldValue: 'Hans Maier', newValue: 'Hans Meier', correctedBy: agent.userId })
    // Live views: list, contact lookup, search.
    const list = (await agent.inject({ method: 'GET', url: '/api/conversations?limit=200' })).json().items
    expect(list.find((c: Json) => c.id === conversationId).contact.name).toBe('Hans Meier')
    expect((await contactOf(waId)).name).toBe('Hans Meier')
    const search = (await agent.inject({ method: 'GET', url: '/api/search?q=Meier' })).json()
    expect(search.conversations.map((c: Json) => c.contact.name)).toContain('Hans Meier')
    // The archive is untouched: the same journal entries with the same hashes, the message as received.
    expect(await server.database.db.selectFrom('journal').select(['seq', 'content_sha256']).where('seq', '<=', journalBefore.at(-1)!.seq).orderBy('seq').execute()).toEqual(journalBefore)
    const row = await server.database.db.selectFrom('messages').select(['id', 'content', 'key_id']).where('wamid', '=', wamid).executeTakeFirstOrThrow()
    const [stored] = await server.vault.open(server.database.db, [row])
    expect(JSON.parse(stored!.content).text.body).toBe('Ich heiße Meier, nicht Maier.')
    // A second correction appends; the history keeps both, and it cannot be edited.
    await agent.inject({ method: 'POST', url: `/api/contacts/${contact.id}/corrections`, payload: { field: 'name', value: 'Dr. Hans Meier', reason: 'Titel ergänzt' } })
    const history = (await agent.inject({ method: 'GET', url: `/api/contacts/${contact.id}/corrections` })).json().items
    expect(history.map((h: Json) => [h.oldValue, h.newValue])).toEqual([['Hans Maier', 'Hans Meier'], ['Hans Meier', 'Dr. Hans Meier']])
    await expect(sql`update contact_corrections set new_value = 'x'`.execute(server.database.db)).rejects.toThrow(/append-only/)
    expect((await agent.inject({ method: 'POST', url: `/api/contacts/${contact.id}/corrections`, payload: { field: 'wa_id', value: '1', reason: 'nope' } })).statusCode).toBe(400)
    expect((await auditor.inject({ method: 'POST', url: `/api/contacts/${contact.id}/corrections`, payload: { field: 'name', value: 'X', reason: 'nope' } })).statusCode).toBe(403)
  })

  it('GDPR-30: the record lists exactly fields (a)–(g) from the configuration; a retention change makes a new version with a new (f)', async () => {
    await admin.inject({ method: 'PUT', url: '/api/settings', payload: { company: { name: 'Muster GmbH', address: 'Musterweg 1, 10115 Berlin', email: 'info@muster.example' } } })
    const first = (await auditor.inject({ method: 'GET', url: '/api/privacy/processing-record?format=json' })).json()
    expect(Object.keys(first.record).filter((k) => /^[a-g]_/.test(k))).toEqual(['a_controller', 'b_purposes', 'c_categories', 'd_recipients', 'e_transfers', 'f_erasure', 'g_toms'])
    expect(first.record.a_controller).toMatchObject({ name: 'Muster GmbH' })
    expect(first.record.b_purposes.map((p: Json) => p.key)).toEqual(expect.arrayContaining(['service', 'marketing', 'reviews']))
    expect(first.record.d_recipients[0].name).toMatch(/Meta Platforms Ireland/)
    expect(first.record.e_transfers[0]).toMatchObject({ country: 'US' })
    expect(first.record.f_erasure[0].period).toMatch(/^6 Jahre/)

    const put = await admin.inject({ method: 'PUT', url: '/api/privacy/settings', payload: { retention: { handelsbriefYears: 7, buchungsbelegYears: 8, buchYears: 10, marketingDays: 30, consentEvidenceYears: 5, notesMonths: 24, auditYears: 3 }, metaStorage: 'local-eu' } })
    expect(put.statusCode).toBe(200)
    const second = (await auditor.inject({ method: 'GET', url: '/api/privacy/processing-record?format=json' })).json()
    expect(second.version).toBe(first.version + 1)
    expect(second.record.f_erasure[0].period).toMatch(/^7 Jahre/)
    expect(second.record.e_transfers[0].storage).toMatch(/Local Storage/)
    const versions = (await auditor.inject({ method: 'GET', url: '/api/privacy/processing-record/versions' })).json().items
    expect(versions.map((v: Json) => v.version).slice(0, 2)).toEqual([second.version, first.version])
    // A retention below the legal minimum is refused and changes nothing.
    expect((await admin.inject({ method: 'PUT', url: '/api/privacy/settings', payload: { retention: { handelsbriefYears: 2 } } })).statusCode).toBe(400)
    expect((await auditor.inject({ method: 'GET', url: '/api/privacy/processing-record?format=json' })).json().version).toBe(second.version)

    const html = await auditor.inject({ method: 'GET', url: '/api/privacy/processing-record' })
    expect(html.headers['content-type']).toMatch(/text\/html/)
    for (const f of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) expect(html.body).toContain(`id="field-${f}"`)
    expect(html.body).toContain('Muster GmbH')
    const pdf = await auditor.inject({ method: 'GET', url: '/api/privacy/processing-record?format=pdf' })
    expect(pdf.headers['content-type']).toBe('application/pdf')
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-')
    expect((await agent.inject({ method: 'GET', url: '/api/privacy/processing-record' })).statusCode).toBe(403)
  })

  it('GDPR-33/34: a breach is due 72 hours after awareness; late notice needs reasons; phases are appended', async () => {
    const aware = new Date(Date.now() - 80 * 3_600_000).toISOString()
    const created = await admin.inject({ method: 'POST', url: '/api/privacy/breaches', payload: { title: 'Laptop mit Exporten verloren', awareAt: aware, categories: 'Chatverläufe' } })
    expect(created.statusCode).toBe(201)
    const b = created.json()
    expect(Date.parse(b.dueAt) - Date.parse(b.awareAt)).toBe(72 * 3_600_000)
    expect(b).toMatchObject({ overdue: true, source: 'manual', categories: 'Chatverläufe' })
    const patched = await admin.inject({ method: 'PATCH', url: `/api/privacy/breaches/${b.id}`, payload: { subjectsApprox: 120, risk: 'high', update: 'Gerät war verschlüsselt; Schlüssel nicht betroffen.' } })
    expect(patched.json()).toMatchObject({ subjectsApprox: 120, risk: 'high', updates: [{ text: 'Gerät war verschlüsselt; Schlüssel nicht betroffen.' }] })
    const noReason = await admin.inject({ method: 'POST', url: `/api/privacy/breaches/${b.id}/notified`, payload: {} })
    expect(noReason.statusCode).toBe(400)
    expect(noReason.json().type).toMatch(/late-reason-required$/)
    const notified = await admin.inject({ method: 'POST', url: `/api/privacy/breaches/${b.id}/notified`, payload: { lateReason: 'Ausmaß erst nach Forensik bekannt', subjects: true } })
    expect(notified.json()).toMatchObject({ hoursLeft: null, overdue: false, lateReason: 'Ausmaß erst nach Forensik bekannt' })
    expect(notified.json().notifiedSubjectsAt).not.toBeNull()
    const recent = (await admin.inject({ method: 'POST', url: '/api/privacy/breaches', payload: { title: 'Fehlversand einer Nachricht' } })).json()
    expect(recent.hoursLeft).toBeGreaterThan(71)
    expect(recent.overdue).toBe(false)
    expect((await admin.inject({ method: 'POST', url: '/api/privacy/breaches', payload: { title: 'x' } })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'GET', url: '/api/privacy/breaches' })).statusCode).toBe(403)
    await expect(sql`delete from breach_updates`.execute(server.database.db)).rejects.toThrow(/append-only/)
  })

  it('GDPR-5 (2): the audit log is append-only, readable by admins and auditors only, and holds no message text or numbers', async () => {
    await expect(sql`update audit_log set action = 'x'`.execute(server.database.db)).rejects.toThrow(/append-only/)
    await expect(sql`delete from audit_log`.execute(server.database.db)).rejects.toThrow(/append-only/)
    expect((await agent.inject({ method: 'GET', url: '/api/audit' })).statusCode).toBe(403)
    const page = await admin.inject({ method: 'GET', url: '/api/audit?limit=2' })
    expect(page.json().items).toHaveLength(2)
    const next = await admin.inject({ method: 'GET', url: `/api/audit?limit=2&cursor=${page.json().nextCursor}` })
    expect(next.json().items[0].id).not.toBe(page.json().items[0].id)
    const rows = await server.database.db.selectFrom('audit_log').select(['detail', 'target']).execute()
    const text = JSON.stringify(rows)
    expect(text).not.toMatch(/49154\d{8}/)
    expect(text).not.toContain('Ich möchte wissen')
  })

  const erasureRequestFor = async (contactId: string) => {
    const dsr = (await createRequest({ kind: 'erasure', channel: 'whatsapp', contactId })).json()
    await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/verify-identity` })
    return dsr.id as string
  }

  it('GDPR-17, GDPR-18: erasure deletes the marketing thread at once, restricts the business letters until 31 Dec of year + 6, and answers with both outcomes', async () => {
    const waId = '4915400000020'
    const db = server.database.db
    const { conversationId } = await customerWrites(server, waId, 'Ich bestelle drei Stühle.', 'Rita Recht')
    await customerWrites(server, waId, 'START', 'Rita Recht')
    const contact = await contactOf(waId)
    const marketing = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'template', template: { name: 'welcome_back', language: { code: 'de' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Rita' }] }] } } })
    expect(marketing.statusCode).toBe(202)
    const answer = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Die Stühle kommen am Freitag.' } } })
    await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/notes`, payload: { body: 'Kundin zahlt per Rechnung', mentions: [] } })
    // A campaign thread on a second number, classified marketing.
    const now = new Date().toISOString()
    await db.insertInto('conversations').values({ id: 'campaign-thread-1', contact_id: contact.id, channel_id: '999000111', status: 'open', assignee_id: null, last_message_at: now, last_inbound_at: null, retention_class: 'marketing', created_at: now, updated_at: now }).execute()
    await db.insertInto('messages').values({ id: 'campaign-msg-1', conversation_id: 'campaign-thread-1', wamid: 'wamid.campaign-1', direction: 'outbound', type: 'text', status: 'read', timestamp: now, content: JSON.stringify({ type: 'text', text: { body: 'Winterschlussverkauf!' } }), key_id: null, context_wamid: null, error_code: null, error_title: null, error_detail: null, sent_by: null, journal_seq: null, created_at: now, updated_at: now }).execute()
    await eventually(async () => (await db.selectFrom('messages').select('status').where('id', '=', answer.json().id).executeTakeFirstOrThrow()).status !== 'queued')

    const dsrId = await erasureRequestFor(contact.id)
    const res = await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsrId}/erase` })
    expect(res.statusCode).toBe(200)
    const years = (await admin.inject({ method: 'GET', url: '/api/privacy/settings' })).json().retention.handelsbriefYears
    const year = berlinYear() + years - 6
    const { letter, summary, receiptId } = res.json()
    // Marketing: gone at once (the template send and the whole campaign thread).
    expect(await db.selectFrom('messages').select('id').where('id', 'in', [marketing.json().id, 'campaign-msg-1']).execute()).toEqual([])
    expect(await db.selectFrom('conversations').select('id').where('id', '=', 'campaign-thread-1').executeTakeFirst()).toBeUndefined()
    expect(await db.selectFrom('notes').select('id').where('conversation_id', '=', conversationId).execute()).toEqual([])
    // Business letters: kept, restricted, scheduled for 31 Dec of year + 6.
    const kept = await db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute()
    expect(kept.map((m) => m.id)).toContain(answer.json().id)
    expect(await contactByNumber(server, waId)).toMatchObject({ id: contact.id, erase_after: `${year + 6}-12-31`, wa_id: waId })
    expect(summary.retained).toEqual([{ dataClass: 'handelsbrief', messages: kept.length, until: `${year + 6}-12-31` }])
    expect(summary.erased).toMatchObject({ messages: 2, conversations: 1, notes: 1 })
    expect(letter).toContain('2 Nachrichten ohne Aufbewahrungspflicht')
    expect(letter).toContain(`aufzubewahren bis 31.12.${year + 6}`)
    expect(letter).toContain('Art. 77')
    // The request is answered with the letter; the receipt holds no personal data.
    expect((await admin.inject({ method: 'GET', url: `/api/privacy/requests/${dsrId}` })).json()).toMatchObject({ status: 'completed', outcome: letter })
    const receipt = await db.selectFrom('erasure_receipts').selectAll().where('id', '=', receiptId).executeTakeFirstOrThrow()
    expect(receipt.summary).not.toContain(waId)
    expect(receipt.summary).not.toContain('Rita')
    // Restricted: hidden from agents' list, search, conversation and sending; marketing suppressed.
    expect((await agent.inject({ method: 'GET', url: '/api/conversations?limit=200' })).json().items.map((c: Json) => c.id)).not.toContain(conversationId)
    expect((await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages` })).statusCode).toBe(404)
    expect((await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Hallo?' } } })).statusCode).toBe(404)
    const search = (await agent.inject({ method: 'GET', url: '/api/search?q=Stühle' })).json()
    expect(search.messages.map((m: Json) => m.conversationId)).not.toContain(conversationId)
    expect((await agent.inject({ method: 'GET', url: '/api/search?q=Rita' })).json().conversations).toEqual([])
    const cold = await agent.inject({ method: 'POST', url: '/api/messages', payload: { to: waId, type: 'template', template: { name: 'order_shipped', language: { code: 'de' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '1' }] }] } } })
    expect(cold.statusCode).toBe(409)
    expect(cold.json().type).toMatch(/restricted$/)
    // Writing again starts afresh: a new, visible conversation; the restricted one stays hidden.
    const again = await customerWrites(server, waId, 'Ich habe eine neue Frage.', 'Rita Recht')
    expect(again.conversationId).not.toBe(conversationId)
    const visible = (await agent.inject({ method: 'GET', url: '/api/conversations?limit=200' })).json().items.map((c: Json) => c.id)
    expect(visible).toContain(again.conversationId)
    expect(visible).not.toContain(conversationId)
    expect(await db.selectFrom('contacts').select(['wa_id', 'wa_key']).where('id', '=', contact.id).executeTakeFirstOrThrow()).toEqual({ wa_id: null, wa_key: null })
    expect((await contactByNumber(server, waId))?.id).not.toBe(contact.id)
    // Run twice: the closed request refuses; the audit log has the erasure.
    expect((await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsrId}/erase` })).statusCode).toBe(409)
    expect((await auditor.inject({ method: 'GET', url: `/api/audit?contactId=${contact.id}&action=contact.erased` })).json().items).toHaveLength(1)
  })

  it('GDPR-5: when retention ends, the restricted business letters go too, with a receipt; nothing identifiable remains', async () => {
    const db = server.database.db
    const contact = await db.selectFrom('contacts').select(['id', 'erase_after']).where('restriction_reason', '=', 'retention').where('erased_at', 'is', null).executeTakeFirstOrThrow()
    expect(contact.erase_after).not.toBeNull()
    // Not yet due: nothing happens.
    expect((await admin.inject({ method: 'POST', url: '/api/privacy/retention/run' })).json().erased).toBe(0)
    // The clock passes the end of retention (the date is moved instead of the clock).
    await db.updateTable('contacts').set({ erase_after: '2020-12-31' }).where('id', '=', contact.id).execute()
    expect((await admin.inject({ method: 'POST', url: '/api/privacy/retention/run' })).json().erased).toBe(1)
    const conversations = await db.selectFrom('conversations').select('id').where('contact_id', '=', contact.id).execute()
    expect(conversations).toEqual([])
    const row = await db.selectFrom('contacts').selectAll().where('id', '=', contact.id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ wa_id: null, profile_name: null, name_override: null })
    expect(row.erased_at).not.toBeNull()
    // What stays is the consent evidence (the person said START), restricted for its own period (UWG-7a).
    expect(row.restriction_reason).toBe('consent-evidence')
    expect(row.erase_after! > new Date().toISOString().slice(0, 10)).toBe(true)
    const receipts = await db.selectFrom('erasure_receipts').selectAll().where('contact_id', '=', contact.id).orderBy('created_at').execute()
    expect(receipts).toHaveLength(2)
    expect(receipts[1]!.dsr_id).toBeNull()
    expect(JSON.parse(receipts[1]!.summary).erased.messages).toBeGreaterThan(0)
    expect((await admin.inject({ method: 'POST', url: '/api/privacy/retention/run' })).json().erased).toBe(0)
    expect((await agent.inject({ method: 'POST', url: '/api/privacy/retention/run' })).statusCode).toBe(403)
  })

  it('GDPR-17: a person with nothing under retention is erased entirely: messages, media files, name and number; the suppression entry stays', async () => {
    const waId = '4915400000021'
    const db = server.database.db
    const sim = server.simulatorState()
    const mediaId = sim.storeMedia(PNG, 'image/png')
    const sha = createHash('sha256').update(PNG).digest('hex')
    const { conversationId } = await customerWrites(server, waId, 'Bitte keine Werbung mehr.', 'Otto Opt')
    const imageWamid = sim.customerSends(waId, 'Otto Opt', 'image', { mime_type: 'image/png', sha256: createHash('sha256').update(PNG).digest('base64'), id: mediaId })
    const image = await eventually(() => db.selectFrom('media').innerJoin('messages', 'messages.id', 'media.id').select(['media.id', 'media.sha256']).where('messages.wamid', '=', imageWamid).where('media.state', '=', 'stored').executeTakeFirst())
    await db.updateTable('conversations').set({ retention_class: 'marketing' }).where('id', '=', conversationId).execute()
    const contact = await contactOf(waId)
    await agent.inject({ method: 'POST', url: `/api/contacts/${contact.id}/corrections`, payload: { field: 'name', value: 'Otto Optiker', reason: 'Tippfehler' } })
    // Another contact shares the same image bytes? Then the file must stay; here nobody else has it.
    const others = await db.selectFrom('media').select('id').where('sha256', '=', sha).where('id', '!=', image.id).execute()
    const file = path.join(server.dataDir, 'media', sha.slice(0, 2), sha.slice(2, 4), sha)
    expect(fs.existsSync(file)).toBe(true)

    const res = await admin.inject({ method: 'POST', url: `/api/privacy/requests/${await erasureRequestFor(contact.id)}/erase` })
    expect(res.statusCode).toBe(200)
    expect(res.json().summary.retained).toEqual([])
    expect(await db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute()).toEqual([])
    expect(await db.selectFrom('conversations').select('id').where('id', '=', conversationId).executeTakeFirst()).toBeUndefined()
    expect(await db.selectFrom('media').select('id').where('id', '=', image.id).executeTakeFirst()).toBeUndefined()
    expect(fs.existsSync(file)).toBe(others.length > 0)
    expect(await db.selectFrom('contact_corrections').select('id').where('contact_id', '=', contact.id).execute()).toEqual([])
    const row = await db.selectFrom('contacts').selectAll().where('id', '=', contact.id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ wa_id: null, profile_name: null, name_override: null })
    expect(row.erased_at).not.toBeNull()
    // The number cannot be found any more, but marketing to it stays blocked (suppression survives erasure).
    expect((await agent.inject({ method: 'GET', url: `/api/contacts?waId=${waId}` })).json().items).toEqual([])
    const again = await customerWrites(server, waId, 'Hallo, ich bin neu hier', 'Otto')
    const marketingAgain = await agent.inject({ method: 'POST', url: `/api/conversations/${again.conversationId}/messages`, payload: { type: 'template', template: { name: 'welcome_back', language: { code: 'de' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Otto' }] }] } } })
    expect(marketingAgain.statusCode).toBe(409)
    expect(marketingAgain.json().type).toMatch(/suppressed$/)
  })

  it('GDPR-17: erasure needs an open, verified erasure request linked to a contact', async () => {
    const access = (await createRequest({ kind: 'access', channel: 'letter' })).json()
    expect((await admin.inject({ method: 'POST', url: `/api/privacy/requests/${access.id}/erase` })).json().type).toMatch(/not-erasure$/)
    const unlinked = (await createRequest({ kind: 'erasure', channel: 'letter' })).json()
    expect((await admin.inject({ method: 'POST', url: `/api/privacy/requests/${unlinked.id}/erase` })).json().type).toMatch(/no-contact$/)
    const { conversationId } = await customerWrites(server, '4915400000022', 'Hallo', 'Vera Verify')
    const contact = await contactOf('4915400000022')
    const unverified = (await createRequest({ kind: 'erasure', channel: 'letter', contactId: contact.id })).json()
    expect((await admin.inject({ method: 'POST', url: `/api/privacy/requests/${unverified.id}/erase` })).json().type).toMatch(/identity-unverified$/)
    expect((await agent.inject({ method: 'POST', url: `/api/privacy/requests/${unverified.id}/erase` })).statusCode).toBe(403)
    expect(await server.database.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute()).toHaveLength(1)
  })
})
