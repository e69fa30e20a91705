import { describe, expect, it } from 'vitest'
import { verifyArchive } from '../src/modules/archive/verify.js'
import { messagesEnvelope } from '../src/simulator/payloads.js'
import { SIMULATOR_DEFAULTS } from '../src/simulator/simulator.js'
import { DIALECT, startTestServer, type TestServer } from './helpers.js'

/** A customer's text as Meta delivers it, sent at `sentAt` (the archive counts retention from there). */
async function writesAt(server: TestServer, waId: string, name: string, text: string, sentAt: Date) {
  const wamid = `wamid.expiry-${waId}-${sentAt.getTime()}`
  const body = messagesEnvelope(SIMULATOR_DEFAULTS, {
    contacts: [{ profile: { name }, wa_id: waId }],
    messages: [{ from: waId, id: wamid, timestamp: String(Math.floor(sentAt.getTime() / 1000)), type: 'text', text: { body: text } }],
  })
  expect((await server.webhook(body)).statusCode).toBe(200)
  return server.database.db.selectFrom('messages').select(['id', 'conversation_id', 'journal_seq']).where('wamid', '=', wamid).executeTakeFirstOrThrow()
}

describe(`${DIALECT}: expiry at the end of retention`, () => {
  it('GOBD-9, GOBD-11 (b), GOBD-10, ARCH-6: expired records go, held and current ones stay, unneeded keys are shredded, the log still verifies', async () => {
    const server = await startTestServer()
    try {
      const admin = await server.login('admin')
      const agent = await server.login('agent')
      const db = server.database.db
      const old = new Date('2018-03-03T10:00:00Z') // a business letter kept until 31.12.2024
      const weeksAgo = new Date(Date.now() - 60 * 86_400_000)
      const letterOld = await writesAt(server, '4915122000001', 'Anna Alt', 'Bestellung von 2018', old)
      const letterNew = await writesAt(server, '4915122000001', 'Anna Alt', 'Bestellung von heute', new Date())
      const advertOld = await writesAt(server, '4915122000002', 'Bernd Werbung', 'Schicken Sie mir Angebote', weeksAgo)
      await agent.inject({ method: 'PUT', url: `/api/conversations/${advertOld.conversation_id}/classification`, payload: { class: 'marketing', reason: 'Nur Werbung, kein Geschäft' } })
      const heldOld = await writesAt(server, '4915122000003', 'Clara Prüfung', 'Rechnung 2018', new Date('2018-05-05T10:00:00Z'))
      const goneOld = await writesAt(server, '4915122000004', 'Dora Fort', 'Anfrage 2018', new Date('2018-07-07T10:00:00Z'))
      expect((await admin.inject({ method: 'POST', url: '/api/archive/holds', payload: { scope: 'conversation', conversationId: heldOld.conversation_id, reason: 'Betriebsprüfung 2018' } })).statusCode).toBe(201)
      // Time travel for the keys: Dora's entry was sealed under a key of a year that has ended.
      const doraEntry = await db.selectFrom('journal').select(['key_id', 'content']).where('seq', '=', Number(goneOld.journal_seq)).executeTakeFirstOrThrow()
      await db.updateTable('data_keys').set({ period: '2018' }).where('id', 'in', doraEntry.key_id!.split(',')).execute()
      expect(await server.sealer.open(db, Buffer.from(doraEntry.content!))).toBeDefined()

      const run = await admin.inject({ method: 'POST', url: '/api/privacy/retention/run' })
      expect(run.statusCode).toBe(200)
      expect(run.json()).toMatchObject({ expired: 3 })
      expect(run.json().shreddedKeys).toBeGreaterThanOrEqual(1)

      const left = new Set((await db.selectFrom('messages').select('id').execute()).map((m) => m.id))
      expect(left.has(letterOld.id)).toBe(false) // handelsbrief of 2018: ended 31.12.2024
      expect(left.has(advertOld.id)).toBe(false) // marketing without reply: 30 days
      expect(left.has(goneOld.id)).toBe(false)
      expect(left.has(letterNew.id)).toBe(true)
      expect(left.has(heldOld.id)).toBe(true) // the hold keeps it
      expect(await db.selectFrom('conversations').select('id').where('id', '=', goneOld.conversation_id).executeTakeFirst()).toBeUndefined()
      // Dora's original is unreadable now; Anna's key is still needed by today's message.
      expect(await server.sealer.open(db, Buffer.from(doraEntry.content!))).toBeUndefined()
      const annaEntry = await db.selectFrom('journal').select('content').where('seq', '=', Number(letterOld.journal_seq)).executeTakeFirstOrThrow()
      expect((await server.sealer.open(db, Buffer.from(annaEntry.content!)))!.payload.toString('utf8')).toContain('Bestellung von 2018')

      const receipt = await db.selectFrom('journal').select('content').where('kind', '=', 'archive.erasure').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow()
      expect(JSON.parse(receipt.content!.toString('utf8'))).toMatchObject({ reason: 'retention ended', expired: { handelsbrief: 2, marketing: 1 } })
      expect((await admin.inject({ method: 'GET', url: '/api/audit?action=archive.expired' })).json().items).toHaveLength(1)
      await server.archive.sync({ forceCheckpoint: true })
      const report = await verifyArchive(server.database, server.archive.verifierKey, server.mediaStore, server.sealer)
      expect(report.problems).toEqual([])

      // A second run finds nothing more; once the hold is released, the held letter goes too.
      expect((await admin.inject({ method: 'POST', url: '/api/privacy/retention/run' })).json()).toMatchObject({ expired: 0 })
      const hold = (await admin.inject({ method: 'GET', url: '/api/archive/holds' })).json().items[0]
      await admin.inject({ method: 'POST', url: `/api/archive/holds/${hold.id}/release`, payload: { reason: 'Prüfung abgeschlossen' } })
      expect((await admin.inject({ method: 'POST', url: '/api/privacy/retention/run' })).json()).toMatchObject({ expired: 1 })
      expect(await db.selectFrom('messages').select('id').where('id', '=', heldOld.id).executeTakeFirst()).toBeUndefined()
    } finally {
      await server.stop()
    }
  }, 90_000)
})
