import { describe, expect, it } from 'vitest'
import { DIALECT, eventually, startTestServer } from './helpers.js'

const RATE = 10

describe(`${DIALECT}: WA-4 the send pipeline keeps to the number's throughput`, () => {
  it('sends a burst of templates at the configured rate: every one goes out once, none is refused for throughput (130429)', async () => {
    // The simulated Cloud API refuses a number's sends beyond RATE in any second, as Meta does.
    const server = await startTestServer({ env: { WHATSAPP_MESSAGES_PER_SECOND: String(RATE) }, simulator: { behaviour: { statusStepMs: 20, throughputPerSecond: RATE } } })
    try {
      const agent = await server.login('agent')
      const burst = RATE * 3 + 5
      const ids: string[] = []
      for (let i = 0; i < burst; i++) {
        const res = await agent.inject({ method: 'POST', url: '/api/messages', payload: { to: `4915190${String(i).padStart(5, '0')}`, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } })
        expect(res.statusCode).toBe(202)
        ids.push(res.json().id)
      }
      const sim = server.simulatorState()
      await eventually(async () => {
        const sent = await server.database.db.selectFrom('messages').select('id').where('id', 'in', ids).where('wamid', 'is not', null).execute()
        return sent.length === burst
      }, 30_000)
      expect(sim.refusals.get(130429) ?? 0).toBe(0)
      expect(sim.sent.filter((s) => s.type === 'template')).toHaveLength(burst) // each exactly once
      // No second of the run held more than the rate (the simulator's own record).
      const times = sim.sent.map((s) => s.at).sort((a, b) => a - b)
      const busiest = Math.max(...times.map((t, i) => times.slice(i).filter((u) => u < t + 1000).length))
      expect(busiest).toBeLessThanOrEqual(RATE)
    } finally {
      await server.stop()
    }
  }, 60_000)
})
