import { beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, useTestServer, type Caller, type TestServer } from './helpers.js'
import { FREE_TEXT_SEALED, sealStoredFreeText } from '../src/modules/contacts/free-text.js'

type Json = Record<string, any>

describe(`${DIALECT}: the team's workspace (labels, notes, quick replies, search, unread)`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer, agent: Caller, admin: Caller, auditor: Caller
  beforeAll(() => {
    ;({ server, agent, admin, auditor } = ctx)
  })
  const conversation = async (id: string): Promise<Json> => (await agent.inject({ method: 'GET', url: `/api/conversations/${id}` })).json()
  const list = async (query = ''): Promise<Json[]> => (await agent.inject({ method: 'GET', url: `/api/conversations${query}` })).json().items

  describe('labels', () => {
    it('admins create, rename, recolor and delete labels; agents apply and remove them; the list filters by label', async () => {
      const created = await admin.inject({ method: 'POST', url: '/api/labels', payload: { name: 'Reklamation', color: '#d93025' } })
      expect(created.statusCode).toBe(201)
      const label = created.json()
      expect(label).toMatchObject({ name: 'Reklamation', color: '#d93025' })
      expect((await admin.inject({ method: 'POST', url: '/api/labels', payload: { name: 'Reklamation', color: '#000000' } })).statusCode).toBe(409)
      expect((await agent.inject({ method: 'POST', url: '/api/labels', payload: { name: 'Agentlabel', color: '#000000' } })).statusCode).toBe(403)
      const renamed = await admin.inject({ method: 'PATCH', url: `/api/labels/${label.id}`, payload: { name: 'Beschwerde', color: '#aa00aa' } })
      expect(renamed.json()).toMatchObject({ id: label.id, name: 'Beschwerde', color: '#aa00aa' })

      const { conversationId } = await customerWrites(server, '4915200000001', 'Meine Lieferung ist kaputt')
      const other = (await customerWrites(server, '4915200000002', 'Hallo')).conversationId
      expect((await agent.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/labels/${label.id}` })).statusCode).toBe(204)
      expect((await agent.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/labels/${label.id}` })).statusCode).toBe(204) // idempotent
      expect((await conversation(conversationId)).labelIds).toEqual([label.id])
      expect((await list(`?label=${label.id}`)).map((c) => c.id)).toEqual([conversationId])
      expect((await list()).map((c) => c.id)).toContain(other)
      expect((await agent.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/labels/nope` })).statusCode).toBe(404)

      expect((await agent.inject({ method: 'DELETE', url: `/api/conversations/${conversationId}/labels/${label.id}` })).statusCode).toBe(204)
      expect((await conversation(conversationId)).labelIds).toEqual([])
      await agent.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/labels/${label.id}` })
      expect((await admin.inject({ method: 'DELETE', url: `/api/labels/${label.id}` })).statusCode).toBe(204)
      expect((await conversation(conversationId)).labelIds).toEqual([])
      expect((await agent.inject({ method: 'GET', url: '/api/labels' })).json().items).toEqual([])
    })

    it('refuses a malformed color, an empty name and an oversized one without storing anything', async () => {
      for (const payload of [{ name: 'x', color: 'red' }, { name: '', color: '#ffffff' }, { name: 'x'.repeat(41), color: '#ffffff' }, { color: '#ffffff' }]) {
        const res = await admin.inject({ method: 'POST', url: '/api/labels', payload })
        expect(res.statusCode).toBe(400)
        expect(res.headers['content-type']).toContain('application/problem+json')
      }
      expect((await admin.inject({ method: 'GET', url: '/api/labels' })).json().items).toEqual([])
    })
  })

  describe('conversation list', () => {
    it('shows unread counts and the last message preview; reading clears the count', async () => {
      const { conversationId } = await customerWrites(server, '4915200000010', 'Erste Frage')
      await customerWrites(server, '4915200000010', 'Zweite Frage')
      let c = await conversation(conversationId)
      expect(c.unreadCount).toBe(2)
      expect(c.lastMessage).toEqual({ type: 'text', direction: 'inbound', status: 'received', text: 'Zweite Frage' })
      expect(c.contact).toMatchObject({ waId: '4915200000010', name: 'Test Kunde' })
      expect(c.contact.firstContactAt).toBeTruthy()
      const read = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/read` })
      expect(read.statusCode).toBe(200)
      c = await conversation(conversationId)
      expect(c.unreadCount).toBe(0)
      await customerWrites(server, '4915200000010', 'Dritte Frage')
      expect((await conversation(conversationId)).unreadCount).toBe(1)
      // An answer becomes the preview, with its ticks.
      await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Wir kümmern uns' } } })
      const preview = (await conversation(conversationId)).lastMessage
      expect(preview).toMatchObject({ direction: 'outbound', text: 'Wir kümmern uns' })
    })

    it('filters by channel number', async () => {
      const { conversationId } = await customerWrites(server, '4915200000011', 'Hallo')
      const channelId = (await conversation(conversationId)).channelId
      expect((await list(`?channel=${channelId}`)).map((c) => c.id)).toContain(conversationId)
      expect(await list('?channel=999999')).toEqual([])
    })
  })

  describe('private notes and mentions', () => {
    it('stores a note for the team, never sends it, and notifies only the mentioned colleague', async () => {
      const colleague = await server.login('agent')
      const { conversationId } = await customerWrites(server, '4915200000020', 'Bitte Rückruf')
      const sentBefore = server.simulatorState().sent.length
      const res = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/notes`, payload: { body: '@Kollege bitte übernehmen', mentions: [colleague.userId] } })
      expect(res.statusCode).toBe(201)
      expect(res.json()).toMatchObject({ body: '@Kollege bitte übernehmen', mentions: [colleague.userId], author: { id: agent.userId } })
      const notes = (await colleague.inject({ method: 'GET', url: `/api/conversations/${conversationId}/notes` })).json().items
      expect(notes.map((n: Json) => n.body)).toEqual(['@Kollege bitte übernehmen'])
      expect(server.simulatorState().sent.length).toBe(sentBefore)
      // At rest the body is sealed with the customer's key (GDPR-32): what the team writes about them is personal too.
      const stored = await server.database.db.selectFrom('notes').select('body').where('id', '=', res.json().id).executeTakeFirstOrThrow()
      expect(stored.body).toMatch(/^n1:/)
      expect(stored.body).not.toContain('Kollege')
      const messages = (await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages` })).json().items
      expect(messages.every((m: Json) => m.direction === 'inbound')).toBe(true)

      const theirs = (await colleague.inject({ method: 'GET', url: '/api/notifications' })).json().items
      expect(theirs).toHaveLength(1)
      expect(theirs[0]).toMatchObject({ kind: 'mention', conversationId, readAt: null, excerpt: '@Kollege bitte übernehmen' })
      expect((await agent.inject({ method: 'GET', url: '/api/notifications' })).json().items).toEqual([])
      expect((await colleague.inject({ method: 'POST', url: '/api/notifications/read', payload: {} })).statusCode).toBe(204)
      expect((await colleague.inject({ method: 'GET', url: '/api/notifications' })).json().items[0].readAt).toBeTruthy()
    })

    it('seals the notes an older release stored in plain text (the team\'s and a request\'s) when the server starts, and shows them as before', async () => {
      const { conversationId } = await customerWrites(server, '4915200000022', 'Hallo')
      const plain = { id: 'note-from-before', conversation_id: conversationId, author_id: agent.userId!, body: 'Kundin wünscht Rückruf nach 17 Uhr', mentions: '[]', created_at: new Date().toISOString() }
      await server.database.db.insertInto('notes').values(plain).execute()
      // … and a data-subject request's note about the same person.
      const { contact_id: contactId } = await server.database.db.selectFrom('conversations').select('contact_id').where('id', '=', conversationId).executeTakeFirstOrThrow()
      const now = new Date().toISOString()
      await server.database.db.insertInto('dsr_requests').values({ id: 'dsr-from-before', contact_id: contactId, kind: 'access', channel: 'email', received_at: now, due_at: '2099-01-01', extended_due_at: null, extension_reason: null, identity_verified_at: null, status: 'open', outcome: null, closed_at: null, note: 'Anfrage per Mail von kundin@example.com', created_by: null, created_at: now, updated_at: now }).execute()
      // What the first start of this release runs on an older database (which has not run the pass yet).
      await server.database.db.deleteFrom('settings').where('key', '=', FREE_TEXT_SEALED).execute()
      expect(await sealStoredFreeText(server.database.db, server.vault.details)).toBe(2)
      const stored = await server.database.db.selectFrom('notes').select('body').where('id', '=', plain.id).executeTakeFirstOrThrow()
      expect(stored.body).toMatch(/^n1:/)
      expect((await server.database.db.selectFrom('dsr_requests').select('note').where('id', '=', 'dsr-from-before').executeTakeFirstOrThrow()).note).toMatch(/^n1:/)
      const shown = (await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}/notes` })).json().items
      expect(shown.map((n: Json) => n.body)).toEqual(['Kundin wünscht Rückruf nach 17 Uhr'])
      expect((await admin.inject({ method: 'GET', url: '/api/privacy/requests/dsr-from-before' })).json().note).toBe('Anfrage per Mail von kundin@example.com')
      expect(await sealStoredFreeText(server.database.db, server.vault.details)).toBe(0)
    })

    it('refuses empty, oversized and unknown-mention notes, and API tokens (a note has a person as author)', async () => {
      const { conversationId } = await customerWrites(server, '4915200000021', 'Hallo')
      const url = `/api/conversations/${conversationId}/notes`
      expect((await agent.inject({ method: 'POST', url, payload: { body: '  ' } })).statusCode).toBe(400)
      expect((await agent.inject({ method: 'POST', url, payload: { body: 'x'.repeat(4097) } })).statusCode).toBe(400)
      expect((await agent.inject({ method: 'POST', url, payload: { body: 'hi', mentions: ['no-such-user'] } })).statusCode).toBe(400)
      expect((await agent.inject({ method: 'POST', url, payload: { body: 'hi', mentions: [auditor.userId] } })).statusCode).toBe(400)
      expect((await agent.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{"body":' })).statusCode).toBe(400)
      const nul = await agent.inject({ method: 'POST', url, payload: { body: 'a\u0000b' } }) // PostgreSQL would refuse to store it
      expect(nul.statusCode).toBe(400)
      expect(nul.json().detail).toMatch(/^body\.body contains the NUL character/)
      const token = await server.token('agent')
      expect((await token.inject({ method: 'POST', url, payload: { body: 'hi' } })).statusCode).toBe(422)
      expect((await auditor.inject({ method: 'GET', url })).statusCode).toBe(403)
      expect((await agent.inject({ method: 'POST', url: '/api/conversations/nope/notes', payload: { body: 'hi' } })).statusCode).toBe(404)
      expect((await agent.inject({ method: 'GET', url })).json().items).toEqual([])
    })
  })

  describe('quick replies', () => {
    it('team replies are managed by admins and seen by all; personal ones only by their owner', async () => {
      const team = await admin.inject({ method: 'POST', url: '/api/quick-replies', payload: { shortcut: 'danke', body: 'Danke, {{contact.name}}! Ihr {{agent.name}}', scope: 'team' } })
      expect(team.statusCode).toBe(201)
      expect((await agent.inject({ method: 'POST', url: '/api/quick-replies', payload: { shortcut: 'x', body: 'y', scope: 'team' } })).statusCode).toBe(403)
      const mine = await agent.inject({ method: 'POST', url: '/api/quick-replies', payload: { shortcut: 'gruss', body: 'Viele Grüße' } })
      expect(mine.json()).toMatchObject({ shortcut: 'gruss', scope: 'personal' })
      expect((await agent.inject({ method: 'POST', url: '/api/quick-replies', payload: { shortcut: 'gruss', body: 'doppelt' } })).statusCode).toBe(409)
      const colleague = await server.login('agent')
      expect((await colleague.inject({ method: 'GET', url: '/api/quick-replies' })).json().items.map((q: Json) => q.shortcut)).toEqual(['danke'])
      expect((await agent.inject({ method: 'GET', url: '/api/quick-replies' })).json().items.map((q: Json) => q.shortcut)).toEqual(['danke', 'gruss'])
      expect((await colleague.inject({ method: 'DELETE', url: `/api/quick-replies/${mine.json().id}` })).statusCode).toBe(404)
      expect((await agent.inject({ method: 'PATCH', url: `/api/quick-replies/${team.json().id}`, payload: { body: 'gekapert' } })).statusCode).toBe(403)
      const edited = await agent.inject({ method: 'PATCH', url: `/api/quick-replies/${mine.json().id}`, payload: { body: 'Beste Grüße' } })
      expect(edited.json().body).toBe('Beste Grüße')
      expect((await agent.inject({ method: 'DELETE', url: `/api/quick-replies/${mine.json().id}` })).statusCode).toBe(204)
      expect((await agent.inject({ method: 'GET', url: '/api/quick-replies' })).json().items.map((q: Json) => q.shortcut)).toEqual(['danke'])
    })

    it('refuses shortcuts with spaces or slashes and oversized bodies', async () => {
      for (const payload of [{ shortcut: 'a b', body: 'x' }, { shortcut: '/a', body: 'x' }, { shortcut: 'ok', body: 'x'.repeat(4097) }, { shortcut: 'ok', body: '' }]) {
        expect((await agent.inject({ method: 'POST', url: '/api/quick-replies', payload })).statusCode).toBe(400)
      }
    })
  })

  describe('settings', () => {
    it('the CRM link template is set by admins, read by agents, and must be an http(s) URL', async () => {
      expect((await agent.inject({ method: 'GET', url: '/api/settings' })).json()).toEqual({ crmUrlTemplate: null, company: null, privacyNotice: null, signWithName: false })
      expect((await agent.inject({ method: 'PUT', url: '/api/settings', payload: { crmUrlTemplate: 'https://crm.example/c?phone={{phone}}' } })).statusCode).toBe(403)
      expect((await admin.inject({ method: 'PUT', url: '/api/settings', payload: { crmUrlTemplate: 'javascript:alert(1)' } })).statusCode).toBe(400)
      const put = await admin.inject({ method: 'PUT', url: '/api/settings', payload: { crmUrlTemplate: 'https://crm.example/c?phone={{phone}}' } })
      expect(put.json()).toMatchObject({ crmUrlTemplate: 'https://crm.example/c?phone={{phone}}' })
      expect((await agent.inject({ method: 'GET', url: '/api/settings' })).json().crmUrlTemplate).toBe('https://crm.example/c?phone={{phone}}')
    })
  })

  describe('search', () => {
    it('finds messages by words (prefix, any case, umlauts) and conversations by contact name and number', async () => {
      const a = (await customerWrites(server, '4915200000030', 'Die Rechnung Nr. 4711 ist falsch', 'Grete Müller')).conversationId
      await customerWrites(server, '4915200000031', 'Alles bestens, danke', 'Hans Schmidt')
      const search = async (q: string): Promise<Json> => (await agent.inject({ method: 'GET', url: `/api/search?q=${encodeURIComponent(q)}` })).json()

      const byWord = await search('rechn')
      expect(byWord.messages.map((m: Json) => m.text)).toEqual(['Die Rechnung Nr. 4711 ist falsch'])
      expect(byWord.messages[0]).toMatchObject({ conversationId: a, contact: { name: 'Grete Müller' } })
      expect((await search('RECHNUNG 4711')).messages).toHaveLength(1)
      expect((await search('rechnung bestens')).messages).toHaveLength(0)
      expect((await search('müller')).conversations.map((c: Json) => c.conversationId)).toEqual([a])
      // Numbers (sealed at rest) are found by their ending, typed in any common form.
      for (const q of ['200000030', '0030', '4915200000030', '+49 152 0000 0030', '0049 152 00000030', '0152 00000030']) expect((await search(q)).conversations.map((c: Json) => c.conversationId), q).toEqual([a])
      for (const q of ['030', '52000000', '4915200000031030']) expect((await search(q)).conversations, q).toEqual([]) // too short, not an ending, longer than the number
      expect((await search('"(*')).messages).toEqual([]) // FTS syntax characters are not an error
      // Diacritics are ignored on both engines, in the text and in the query.
      await customerWrites(server, '4915200000032', 'Grüße aus Köln von José', 'Jürgen Ärger')
      // ß is ss, as upper case and Swiss spelling write it ("GRÜSSE" is "Grüße").
      expect((await search('grusse')).messages.map((m: Json) => m.text)).toEqual(['Grüße aus Köln von José'])
      expect((await search('GRÜSSE köln')).messages).toHaveLength(1)
      expect((await search('gruße koln')).messages.map((m: Json) => m.text)).toEqual(['Grüße aus Köln von José'])
      expect((await search('jose')).messages).toHaveLength(1)
      expect((await search('Kölñ JOSÉ')).messages).toHaveLength(1)
      // …and in contact names.
      const jurgen = (await search('jurgen arger')).conversations as Json[]
      expect(jurgen.map((c) => c.contact.name)).toEqual(['Jürgen Ärger'])
      expect(((await search('JÜRGEN')).conversations as Json[]).map((c) => c.contact.name)).toEqual(['Jürgen Ärger'])
      expect(((await search('mueller')).conversations as Json[])).toEqual([])
      await customerWrites(server, '4915200000033', 'Hallo', 'Grete Strauß')
      for (const q of ['strauss', 'STRAUSS', 'Strauß', 'grete strauß']) expect(((await search(q)).conversations as Json[]).map((c) => c.contact.name), q).toEqual(['Grete Strauß'])
    })

    it('returns the newest hits first and honours the limit (both search paths: many hits and few)', async () => {
      for (let i = 1; i <= 5; i++) await customerWrites(server, '4915200000040', `Paketnummer ${i} bitte prüfen`, 'Paula Paket')
      const many = (await agent.inject({ method: 'GET', url: '/api/search?q=paketnummer&limit=3' })).json()
      expect(many.messages.map((m: Json) => m.text)).toEqual(['Paketnummer 5 bitte prüfen', 'Paketnummer 4 bitte prüfen', 'Paketnummer 3 bitte prüfen'])
      const few = (await agent.inject({ method: 'GET', url: '/api/search?q=paketnummer 2&limit=3' })).json()
      expect(few.messages.map((m: Json) => m.text)).toEqual(['Paketnummer 2 bitte prüfen'])
    })

    it('refuses an empty or oversized query', async () => {
      expect((await agent.inject({ method: 'GET', url: '/api/search?q=' })).statusCode).toBe(400)
      expect((await agent.inject({ method: 'GET', url: `/api/search?q=${'a'.repeat(201)}` })).statusCode).toBe(400)
      expect((await auditor.inject({ method: 'GET', url: '/api/search?q=x' })).statusCode).toBe(403)
    })
  })

  it('lists colleagues for assignment and mentions without e-mail addresses', async () => {
    const team = (await agent.inject({ method: 'GET', url: '/api/team' })).json().items as Json[]
    expect(team.some((u) => u.id === agent.userId)).toBe(true)
    expect(team.some((u) => u.id === auditor.userId)).toBe(false)
    expect(team.every((u) => !('email' in u))).toBe(true)
  })

  it('offers only approved templates with their body and variable count', async () => {
    const items = (await agent.inject({ method: 'GET', url: '/api/templates' })).json().items as Json[]
    expect(items.map((t) => t.name)).toContain('order_shipped')
    expect(items.map((t) => t.name)).not.toContain('paused_offer')
    expect(items.find((t) => t.name === 'order_shipped')).toMatchObject({ language: 'de', body: 'Ihre Bestellung {{1}} ist unterwegs.', variables: 1 })
  })

  it('shows admins what to copy into Meta (webhook URL, verify token) and tests the connection live', async () => {
    const channelId = server.simulatorState().identity.phoneNumberId
    const connection = await admin.inject({ method: 'GET', url: `/api/channels/${channelId}/connection` })
    expect(connection.json()).toMatchObject({ phoneNumberId: channelId, source: 'simulator' })
    expect(connection.json().webhookUrl).toBe('http://localhost:80/webhooks/whatsapp')
    expect(JSON.stringify(connection.json())).not.toContain(server.simulatorState().accessToken)
    expect((await agent.inject({ method: 'GET', url: `/api/channels/${channelId}/connection` })).statusCode).toBe(403)
    const ok = await admin.inject({ method: 'POST', url: `/api/channels/${channelId}/test` })
    expect(ok.json()).toMatchObject({ ok: true, qualityRating: 'GREEN' })
    const token = server.simulatorState().accessToken
    server.simulatorState().accessToken = 'rotated-elsewhere'
    try {
      const failed = (await admin.inject({ method: 'POST', url: `/api/channels/${channelId}/test` })).json()
      expect(failed.ok).toBe(false)
      expect(failed.error).toMatch(/190/)
    } finally {
      server.simulatorState().accessToken = token
    }
  })
})
