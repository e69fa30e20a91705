import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, eventually, useTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>

describe(`${DIALECT}: automatic assignment, availability and presence`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer, erika: Caller, admin: Caller, auditor: Caller, max: Caller, paul: Caller
  /** Open app streams (presence), closed after the suite. */
  const streams: AbortController[] = []
  beforeAll(async () => {
    ;({ server, agent: erika, admin, auditor } = ctx)
    max = await server.login('agent')
    paul = await server.login('agent')
  })
  afterAll(() => {
    for (const s of streams) s.abort()
  })

  /** The colleague opens the app: its live-update stream marks them present. */
  async function openApp(who: Caller): Promise<AbortController> {
    const controller = new AbortController()
    const res = await fetch(`${server.url}/api/events`, { headers: { cookie: who.headers.cookie! }, signal: controller.signal })
    expect(res.status).toBe(200)
    await res.body!.getReader().read()
    streams.push(controller)
    await eventually(async () => (await status()).find((m) => m.id === who.userId)?.present)
    return controller
  }
  const status = async (): Promise<Json[]> => (await admin.inject({ method: 'GET', url: '/api/team/status' })).json().items
  const settings = (payload: object, who: Caller = admin) => who.inject({ method: 'PUT', url: '/api/settings/assignment', payload })
  const availability = (who: Caller, value: string) => who.inject({ method: 'PUT', url: '/api/auth/availability', payload: { availability: value } })
  const conversation = async (id: string): Promise<Json> => (await admin.inject({ method: 'GET', url: `/api/conversations/${id}` })).json()
  const patch = (who: Caller, id: string, payload: object) => who.inject({ method: 'PATCH', url: `/api/conversations/${id}`, payload })
  const assigned = (id: string) => eventually(async () => (await conversation(id)).assigneeId as string | null)
  const notifications = async (who: Caller): Promise<Json[]> => (await who.inject({ method: 'GET', url: '/api/notifications' })).json().items
  /** Waits until a run that was poked after now has finished: another customer's message is assigned. */
  async function settle(probeNumber: string) {
    const { conversationId } = await customerWrites(server, probeNumber, 'Probe')
    await assigned(conversationId)
    await patch(admin, conversationId, { status: 'resolved' })
  }

  it('is off until an admin switches it on; then a customer who writes gets an available colleague with the app open', async () => {
    expect((await admin.inject({ method: 'GET', url: '/api/settings/assignment' })).json()).toEqual({ enabled: false, includeAdmins: false, maxOpenPerPerson: null })
    // Everyone is available unless they said otherwise; Paul never opens the app.
    expect((await erika.inject({ method: 'GET', url: '/api/auth/availability' })).json()).toEqual({ availability: 'available' })
    await openApp(erika)
    await openApp(admin)
    const before = await customerWrites(server, '4915400000001', 'Hallo, noch niemand da?', 'Frieda Früh')
    // Off: the conversation waits in the list for someone to take it.
    await new Promise((r) => setTimeout(r, 500))
    expect((await conversation(before.conversationId)).assigneeId).toBeNull()

    const record = async () => JSON.stringify((await admin.inject({ method: 'GET', url: '/api/privacy/processing-record?format=json' })).json())
    expect(await record()).not.toContain('Automatische Verteilung')
    const on = await settings({ enabled: true, includeAdmins: false, maxOpenPerPerson: null })
    expect(on.statusCode).toBe(200)
    expect(on.json()).toEqual({ enabled: true, includeAdmins: false, maxOpenPerPerson: null })
    // Switching it on hands out what was waiting: to Erika, the only agent present (admins take part only when included).
    expect(await assigned(before.conversationId)).toBe(erika.userId)
    const note = await eventually(async () => (await notifications(erika)).find((n) => n.kind === 'assigned' && n.conversationId === before.conversationId))
    expect(note).toMatchObject({ actorName: null, contactName: 'Frieda Früh', readAt: null })
    expect((await notifications(paul)).filter((n) => n.kind === 'assigned')).toEqual([])
    const log = (await admin.inject({ method: 'GET', url: '/api/audit?action=settings.assignment_changed' })).json()
    expect(JSON.stringify(log)).toContain('settings.assignment_changed')
    // The record of processing activities (Art. 30) names what is now processed about the team.
    expect(await record()).toContain('Automatische Verteilung neuer Kundenanfragen')
    expect(await record()).toContain('Verfügbarkeit, ob die Anwendung gerade geöffnet ist')
    await patch(erika, before.conversationId, { status: 'resolved' })
  })

  it('shares the conversations out evenly between the colleagues present, and not to those away', async () => {
    await openApp(max)
    const ids: string[] = []
    for (let i = 0; i < 4; i++) {
      ids.push((await customerWrites(server, `491540000010${i}`, `Frage ${i}`)).conversationId)
      await assigned(ids[i]!)
    }
    const owners = await Promise.all(ids.map(async (id) => (await conversation(id)).assigneeId))
    expect(owners.filter((o) => o === erika.userId)).toHaveLength(2)
    expect(owners.filter((o) => o === max.userId)).toHaveLength(2)
    const board = await status()
    expect(board.find((m) => m.id === erika.userId)).toMatchObject({ availability: 'available', present: true, open: 2 })
    expect(board.find((m) => m.id === max.userId)).toMatchObject({ present: true, open: 2 })
    expect(board.find((m) => m.id === paul.userId)).toMatchObject({ availability: 'available', present: false, open: 0 })
    expect(board.find((m) => m.id === admin.userId)).toMatchObject({ role: 'admin', present: true, open: 0 })
    // Auditors are not part of the team that answers customers.
    expect(board.find((m) => m.id === auditor.userId)).toBeUndefined()

    // Max goes away: everything new goes to Erika, whatever their counts.
    expect((await availability(max, 'away')).json()).toEqual({ availability: 'away' })
    expect((await max.inject({ method: 'GET', url: '/api/auth/availability' })).json()).toEqual({ availability: 'away' })
    await patch(max, ids[owners.indexOf(max.userId)]!, { status: 'resolved' })
    for (let i = 0; i < 2; i++) {
      const { conversationId } = await customerWrites(server, `491540000020${i}`, 'Noch eine Frage')
      expect(await assigned(conversationId)).toBe(erika.userId)
      ids.push(conversationId)
    }
    for (const id of ids) await patch(admin, id, { status: 'resolved' })
  })

  it('keeps to the limit per person: beyond it conversations wait, and the first colleague with room gets them', async () => {
    expect((await settings({ enabled: true, includeAdmins: false, maxOpenPerPerson: 1 })).statusCode).toBe(200)
    const first = await customerWrites(server, '4915400000301', 'Eins')
    expect(await assigned(first.conversationId)).toBe(erika.userId)
    const second = await customerWrites(server, '4915400000302', 'Zwei')
    const third = await customerWrites(server, '4915400000303', 'Drei')
    // Max is away, Erika is full: both wait, the longest-waiting first in line.
    await availability(paul, 'available')
    await new Promise((r) => setTimeout(r, 300))
    expect((await conversation(second.conversationId)).assigneeId).toBeNull()
    expect((await conversation(third.conversationId)).assigneeId).toBeNull()
    // Erika resolves hers: she has room for one, the one who waited longest.
    await patch(erika, first.conversationId, { status: 'resolved' })
    expect(await assigned(second.conversationId)).toBe(erika.userId)
    expect((await conversation(third.conversationId)).assigneeId).toBeNull()
    // Max comes back: he takes the other.
    await availability(max, 'available')
    expect(await assigned(third.conversationId)).toBe(max.userId)
    for (const c of [second, third]) await patch(admin, c.conversationId, { status: 'resolved' })
    expect((await settings({ enabled: true, includeAdmins: false, maxOpenPerPerson: null })).statusCode).toBe(200)
  })

  it('leaves a conversation someone handed back until the customer writes again', async () => {
    const { conversationId } = await customerWrites(server, '4915400000401', 'Ich brauche Hilfe')
    const owner = await assigned(conversationId)
    const who = owner === erika.userId ? erika : max
    expect((await patch(who, conversationId, { assigneeId: null })).json().assigneeId).toBeNull()
    await settle('4915400000402')
    expect((await conversation(conversationId)).assigneeId).toBeNull()
    await customerWrites(server, '4915400000401', 'Hallo? Ist jemand da?')
    expect(await assigned(conversationId)).not.toBeNull()
    await patch(admin, conversationId, { status: 'resolved' })
  })

  it('includes admins when told to, and tells a colleague when someone else gives them a conversation', async () => {
    await availability(erika, 'away')
    await availability(max, 'away')
    expect((await settings({ enabled: true, includeAdmins: true, maxOpenPerPerson: null })).statusCode).toBe(200)
    const { conversationId } = await customerWrites(server, '4915400000501', 'Guten Tag', 'Gustav Gast')
    expect(await assigned(conversationId)).toBe(admin.userId)
    // The admin hands it to Erika by hand: she is told who did.
    expect((await patch(admin, conversationId, { assigneeId: erika.userId })).statusCode).toBe(200)
    const told = await eventually(async () => (await notifications(erika)).find((n) => n.kind === 'assigned' && n.conversationId === conversationId))
    expect(told).toMatchObject({ contactName: 'Gustav Gast' })
    expect(told.actorName).toMatch(/^admin/)
    // Taking a conversation oneself tells nobody.
    const before = (await notifications(max)).length
    await patch(max, conversationId, { assigneeId: max.userId })
    expect((await notifications(max)).length).toBe(before)
    await patch(admin, conversationId, { status: 'resolved' })
    await availability(erika, 'available')
    await availability(max, 'available')
  })

  it('refuses bad settings and availabilities with a clear error, changing nothing; only admins set it, only people have an availability', async () => {
    const saved = (await admin.inject({ method: 'GET', url: '/api/settings/assignment' })).json()
    for (const payload of [{ enabled: 'yes' }, { enabled: true, maxOpenPerPerson: 0 }, { enabled: true, maxOpenPerPerson: 1.5 }, { enabled: true, maxOpenPerPerson: 10_000 }, { enabled: true, teams: ['x'] }]) {
      const res = await settings(payload)
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
    const huge = await admin.inject({ method: 'PUT', url: '/api/settings/assignment', payload: `{"enabled":true,"x":"${'a'.repeat(2_000_000)}"}`, headers: { 'content-type': 'application/json' } })
    expect(huge.statusCode).toBe(413)
    expect((await settings({ enabled: false }, erika)).statusCode).toBe(403)
    expect((await auditor.inject({ method: 'GET', url: '/api/team/status' })).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'PUT', url: '/api/settings/assignment', payload: { enabled: false } })).statusCode).toBe(401)
    expect((await server.app.inject({ method: 'GET', url: '/api/auth/availability' })).statusCode).toBe(401)
    // A cookie without its CSRF token changes nothing.
    expect((await server.app.inject({ method: 'PUT', url: '/api/settings/assignment', payload: { enabled: false }, headers: { cookie: admin.headers.cookie! } })).statusCode).toBe(403)
    expect((await admin.inject({ method: 'GET', url: '/api/settings/assignment' })).json()).toEqual(saved)

    expect((await availability(erika, 'busy')).statusCode).toBe(400)
    expect((await erika.inject({ method: 'GET', url: '/api/auth/availability' })).json()).toEqual({ availability: 'available' })
    const token = await server.token('agent')
    const byToken = await token.inject({ method: 'PUT', url: '/api/auth/availability', payload: { availability: 'away' } })
    expect(byToken.statusCode).toBe(400)
    expect(byToken.json().type).toContain('session-required')
  })
})
