import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../src/db/database.js'
import { takeProjectorLock } from '../src/modules/stats/projector.js'
import { customerWrites, DIALECT, onTestPostgres, TEST_DATABASE_URL, useTestServer } from './helpers.js'

/**
 * The statistics projector runs one at a time per installation (an advisory lock on PostgreSQL).
 * Another installation in the same database, in its own schema, must not hold up this one's figures.
 */
describe(`${DIALECT}: the statistics of one installation while another in the same database projects`, () => {
  const ctx = useTestServer()

  it('answers the summary with the new message counted while the other schema holds its projector lock', async () => {
    const other = DIALECT === 'postgres' ? await openDatabase({ url: TEST_DATABASE_URL, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'pf-other-')), pgSchema: `other_${process.pid}` }) : undefined
    let release = () => {}
    const held = other?.db.transaction().execute(async (tx) => {
      await takeProjectorLock(tx)
      await new Promise<void>((r) => (release = r))
    })
    try {
      await customerWrites(ctx.server, '4915177012345', 'Zählt mit')
      const around = `from=${new Date(Date.now() - 3600_000).toISOString()}&to=${new Date(Date.now() + 3600_000).toISOString()}`
      const answer = await Promise.race([
        ctx.agent.inject({ method: 'GET', url: `/api/stats/summary?${around}` }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the summary waited for the other installation')), 15_000)),
      ])
      expect(answer.statusCode).toBe(200)
      expect(answer.json()).toMatchObject({ received: 1 })
    } finally {
      release()
      await held
      await other?.destroy()
      if (other) await onTestPostgres(`drop schema if exists other_${process.pid} cascade`)
    }
  }, 30_000)
})
