import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { berlinToday, customerWrites, DIALECT, startTestServer, type TestServer } from './helpers.js'
import { startLocalTsa } from './tsa.js'

describe(`${DIALECT}: RFC 3161 time stamps on checkpoints`, () => {
  let tsa: Awaited<ReturnType<typeof startLocalTsa>>
  let server: TestServer
  beforeAll(async () => {
    tsa = await startLocalTsa()
    server = await startTestServer({ env: { ARCHIVE_TSA_URL: tsa.url, ARCHIVE_CHECKPOINT_SECONDS: '3600', ARCHIVE_CHECKPOINT_ENTRIES: '1000000' } })
  }, 60_000)
  afterAll(async () => {
    await server.stop()
    await tsa.close()
  })

  const stamps = () => server.database.db.selectFrom('archive_timestamps').selectAll().orderBy('checkpoint_size').execute()

  it('ARCH-4: every checkpoint gets a token whose imprint is SHA-256 of the note, valid for openssl ts -verify', async () => {
    await customerWrites(server, '4915155000001', 'Erste Nachricht')
    const first = (await server.archive.sync({ forceCheckpoint: true }))!
    await customerWrites(server, '4915155000002', 'Zweite Nachricht')
    const second = (await server.archive.sync({ forceCheckpoint: true }))!
    await server.archive.anchorPending({ retryNow: true })
    const rows = await stamps()
    expect(rows.map((r) => Number(r.checkpoint_size))).toEqual([first.size, second.size])
    for (const [i, c] of [first, second].entries()) {
      const verdict = tsa.verify(Buffer.from(rows[i]!.response), Buffer.from(c.note))
      expect(verdict.output).toMatch(/Verification: OK/)
      // The token binds this note and no other.
      expect(tsa.verify(Buffer.from(rows[i]!.response), Buffer.from(c.note.replace(/\n(\d+)\n/, (_, n) => `\n${Number(n) + 1}\n`))).ok).toBe(false)
    }
    await expect(server.database.db.deleteFrom('archive_timestamps').execute()).rejects.toThrow(/append-only/)
  })

  it('a TSA that is down holds up nothing; the checkpoint is stamped once it is back', async () => {
    tsa.state.fail = true
    await customerWrites(server, '4915155000003', 'Während der Störung')
    const c = (await server.archive.sync({ forceCheckpoint: true }))!
    await server.archive.anchorPending({ retryNow: true })
    expect((await stamps()).map((r) => Number(r.checkpoint_size))).not.toContain(c.size)
    expect(c.size).toBeGreaterThan(0)
    tsa.state.fail = false
    await server.archive.anchorPending({ retryNow: true })
    expect((await stamps()).map((r) => Number(r.checkpoint_size))).toContain(c.size)
  })
})

describe(`${DIALECT}: the Z3 bundle carries the checkpoint's time stamp`, () => {
  it('ARCH-4, ARCH-5: archive/checkpoint.tsr verifies against archive/checkpoint.txt', async () => {
    const tsa = await startLocalTsa()
    const server = await startTestServer({ env: { ARCHIVE_TSA_URL: tsa.url } })
    try {
      const admin = await server.login('admin')
      await customerWrites(server, '4915155000009', 'Bestellung mit Zeitstempel')
      const today = berlinToday()
      const res = await admin.inject({ method: 'GET', url: `/api/archive/export?from=${today}&to=${today}` })
      const { unzipSync } = await import('fflate')
      const files = unzipSync(res.rawPayload)
      expect(files['archive/checkpoint.tsr']).toBeDefined()
      expect(tsa.verify(Buffer.from(files['archive/checkpoint.tsr']!), Buffer.from(files['archive/checkpoint.txt']!)).output).toMatch(/Verification: OK/)
    } finally {
      await server.stop()
      await tsa.close()
    }
  }, 60_000)
})
