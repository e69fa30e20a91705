import { beforeAll, describe, expect, it } from 'vitest'
import { type Caller, DIALECT, readFixture, type TestServer, useTestServer } from './helpers.js'

type Json = Record<string, any>
/** A fixture with its first change's value amended (Meta's other verdicts have the same shape). */
const variant = (name: string, change: Json, time?: number) => {
  const body = JSON.parse(readFixture(name))
  Object.assign(body.entry[0].changes[0].value, change)
  if (time) body.entry[0].time = time
  return body
}

describe(`${DIALECT}: the number's status at Meta and the alerts Meta raises`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer
  let admin: Caller
  let agent: Caller
  beforeAll(() => {
    ;({ server, admin, agent } = ctx)
  })
  const status = async () => (await agent.inject({ method: 'GET', url: '/api/channels/status' })).json()
  const alerts = async (): Promise<Json[]> => (await agent.inject({ method: 'GET', url: '/api/channels/alerts' })).json().items

  it('reads name, its approval, quality, messaging limit and throughput from Meta on demand', async () => {
    expect(await status()).toMatchObject({ verifiedName: 'Postfach Demo', nameStatus: 'APPROVED', qualityRating: 'GREEN', messagingLimit: 'TIER_2K', throughput: 'STANDARD', live: true, error: null })
    server.simulatorState().number.quality_rating = 'YELLOW'
    expect(await status()).toMatchObject({ qualityRating: 'YELLOW', live: true })
    // WhatsApp unreachable: the last known state, said to be so.
    const token = server.simulatorState().accessToken
    server.simulatorState().accessToken = 'revoked'
    try {
      expect(await status()).toMatchObject({ qualityRating: 'YELLOW', live: false, error: expect.any(String) })
    } finally {
      server.simulatorState().accessToken = token
    }
  })

  it('raises an alert for a quality downgrade, a rejected display name and an active account alert, not for an upgrade; an admin acknowledges them', async () => {
    const now = Math.floor(Date.now() / 1000)
    for (const body of [
      variant('phone-number-quality-update.json', {}, now), // UPGRADE: good news, no alert
      variant('phone-number-quality-update.json', { event: 'DOWNGRADE', current_limit: 'TIER_1K', old_limit: 'TIER_10K' }, now),
      variant('phone-number-name-update.json', { decision: 'REJECTED', rejection_reason: 'NAME_FORMAT_UNACCEPTABLE' }, now),
      variant('account-alerts.json', {}, now),
    ]) {
      expect((await server.webhook(body)).statusCode).toBe(200)
    }
    // The last known state follows: the new messaging limit and the name decision.
    const kept = await server.database.db.selectFrom('settings').select('value').where('key', '=', 'channel.status').executeTakeFirstOrThrow()
    expect(JSON.parse(kept.value)).toMatchObject({ messagingLimit: 'TIER_1K', nameStatus: 'REJECTED' })
    const open = await alerts()
    expect(open.map((a) => a.event).sort()).toEqual(['DOWNGRADE', 'INCREASED_CAPABILITIES_ELIGIBILITY_NEED_MORE_INFO', 'NAME_REJECTED'])
    expect(open.find((a) => a.event === 'NAME_REJECTED')).toMatchObject({ subject: 'number:4930123456789', detail: { requestedName: 'Beispiel Shop', reason: 'NAME_FORMAT_UNACCEPTABLE' } })
    expect(open.find((a) => a.event === 'DOWNGRADE')!.detail).toEqual({ currentLimit: 'TIER_1K', oldLimit: 'TIER_10K' })

    const name = open.find((a) => a.event === 'NAME_REJECTED')!
    expect((await agent.inject({ method: 'POST', url: `/api/channels/alerts/${name.id}/acknowledge` })).statusCode).toBe(403)
    expect((await admin.inject({ method: 'POST', url: `/api/channels/alerts/${name.id}/acknowledge` })).statusCode).toBe(204)
    expect((await alerts()).map((a) => a.event).sort()).toEqual(['DOWNGRADE', 'INCREASED_CAPABILITIES_ELIGIBILITY_NEED_MORE_INFO'])
    expect((await admin.inject({ method: 'POST', url: '/api/channels/alerts/nope/acknowledge' })).statusCode).toBe(404)
    expect((await server.app.inject({ method: 'GET', url: '/api/channels/alerts' })).statusCode).toBe(401)
    expect((await ctx.auditor.inject({ method: 'GET', url: '/api/channels/status' })).statusCode).toBe(403)
    // A replayed webhook raises nothing twice.
    expect((await server.webhook(variant('phone-number-name-update.json', { decision: 'REJECTED', rejection_reason: 'NAME_FORMAT_UNACCEPTABLE' }, now))).statusCode).toBe(200)
    expect((await alerts()).some((a) => a.event === 'NAME_REJECTED')).toBe(false)
  })
})
