import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { relaxedTransaction } from '../src/db/database.js'
import { DIALECT, useTestServer } from './helpers.js'

/**
 * The send recorder commits with relaxed durability; everything else, above all a webhook before
 * its 200, must still commit durably. So the relaxed setting must never outlive its transaction.
 */
describe(`${DIALECT}: relaxed commits stay confined to their transaction`, () => {
  const ctx = useTestServer()

  it('writes the transaction and leaves the connection durable afterwards', async () => {
    const { database } = ctx.server
    await relaxedTransaction(database, async (tx) => {
      if (database.dialect === 'postgres') {
        const { rows } = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(tx)
        expect(rows[0]!.synchronous_commit).toBe('off')
      }
      await tx.insertInto('settings').values({ key: 'durability.probe', value: '"x"', updated_by: null, updated_at: new Date().toISOString() }).execute()
    })
    const stored = await database.db.selectFrom('settings').select('value').where('key', '=', 'durability.probe').executeTakeFirst()
    expect(stored?.value).toBe('"x"')
    if (database.dialect === 'sqlite') {
      const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(database.db)
      expect(rows[0]!.synchronous).toBe(2) // FULL
    } else {
      const { rows } = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(database.db)
      expect(rows[0]!.synchronous_commit).toBe('on')
    }
  })

  it('restores the durable setting when the transaction fails', async () => {
    const { database } = ctx.server
    await expect(relaxedTransaction(database, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    if (database.dialect === 'sqlite') {
      const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(database.db)
      expect(rows[0]!.synchronous).toBe(2)
    }
  })
})
