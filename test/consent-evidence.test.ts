import { describe, expect, it } from 'vitest'
import { contactByNumber, customerWrites, DIALECT, eventually, useTestServer } from './helpers.js'

const DAY = 86_400_000

describe(`${DIALECT}: UWG-7a consent evidence is kept for years after its last use, then deleted`, () => {
  const ctx = useTestServer({ team: true })

  it('an erased person’s consent evidence stays, restricted, until 5 years after the last consent-based send; the retention run deletes it only after that', async () => {
    const { server, agent, admin } = ctx
    const db = server.database.db
    const waId = '4915700000001'
    const { conversationId } = await customerWrites(server, waId, 'Ich möchte Angebote.', 'Nora Nachweis')
    await customerWrites(server, waId, 'START', 'Nora Nachweis')
    const contact = (await contactByNumber(server, waId))!
    const send = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'template', template: { name: 'welcome_back', language: { code: 'de' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Nora' }] }] } } })
    expect(send.statusCode).toBe(202)
    await eventually(async () => (await db.selectFrom('messages').select('status').where('id', '=', send.json().id).executeTakeFirstOrThrow()).status !== 'queued')
    // The consent-based send is the last use: two days after everything else.
    const lastUse = new Date(Date.parse(contact.last_contact_at) + 2 * DAY).toISOString()
    await db.updateTable('messages').set({ timestamp: lastUse }).where('id', '=', send.json().id).execute()
    const events = (await db.selectFrom('consent_events').select('id').where('contact_id', '=', contact.id).execute()).length
    expect(events).toBeGreaterThan(0)

    // Erasure: the business letter is kept for its retention first; when that ends, the person is erased.
    const dsr = (await admin.inject({ method: 'POST', url: '/api/privacy/requests', payload: { kind: 'erasure', channel: 'whatsapp', contactId: contact.id } })).json()
    await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/verify-identity` })
    expect((await admin.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/erase` })).statusCode).toBe(200)
    await db.updateTable('contacts').set({ erase_after: '2000-01-01' }).where('id', '=', contact.id).execute()
    const run = async () => (await admin.inject({ method: 'POST', url: '/api/privacy/retention/run' })).json()
    expect(await run()).toMatchObject({ erased: 1, consentEvidenceExpired: 0 })

    const erased = await db.selectFrom('contacts').selectAll().where('id', '=', contact.id).executeTakeFirstOrThrow()
    const until = new Date(lastUse)
    until.setUTCFullYear(until.getUTCFullYear() + 5)
    expect(erased).toMatchObject({ wa_id: null, restriction_reason: 'consent-evidence', erase_after: until.toISOString().slice(0, 10) })
    expect(erased.erased_at).not.toBeNull()
    expect(await db.selectFrom('consent_events').select('id').where('contact_id', '=', contact.id).execute()).toHaveLength(events)

    // Within the five years the evidence stays, run after run.
    expect(await run()).toMatchObject({ consentEvidenceExpired: 0 })
    expect(await db.selectFrom('consent_events').select('id').where('contact_id', '=', contact.id).execute()).toHaveLength(events)

    // The ledger still refuses changes (only the end of the tail deletes).
    await expect(db.updateTable('consent_events').set({ kind: 'confirmed' }).where('contact_id', '=', contact.id).execute()).rejects.toThrow(/append-only/)

    // The tail has passed: the evidence goes, the audit log says so (without personal data), nothing stays restricted.
    await db.updateTable('contacts').set({ erase_after: new Date(Date.now() - 2 * DAY).toISOString().slice(0, 10) }).where('id', '=', contact.id).execute()
    expect(await run()).toMatchObject({ consentEvidenceExpired: 1 })
    expect(await db.selectFrom('consent_events').select('id').where('contact_id', '=', contact.id).execute()).toEqual([])
    expect(await db.selectFrom('contacts').select(['restricted_at', 'restriction_reason', 'erase_after']).where('id', '=', contact.id).executeTakeFirstOrThrow()).toEqual({ restricted_at: null, restriction_reason: null, erase_after: null })
    const entry = await db.selectFrom('audit_log').select(['detail']).where('action', '=', 'consent.evidence_expired').where('contact_id', '=', contact.id).executeTakeFirstOrThrow()
    expect(JSON.parse(entry.detail)).toEqual({ events })
  })
})
