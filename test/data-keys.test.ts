import { describe, expect, it } from 'vitest'
import { DataKeys } from '../src/modules/archive/data-keys.js'
import { loadSecretBox } from '../src/platform/crypto/secret-box.js'
import { DIALECT, useTestServer } from './helpers.js'

describe(`${DIALECT}: data keys survive a rolled-back transaction (nothing sealed with a key never stored)`, () => {
  const ctx = useTestServer()

  it('a key made in a transaction that rolls back is made again, stored, by the next one', async () => {
    const { server } = ctx
    const { db } = server.database
    const keys = new DataKeys(loadSecretBox({ keyFile: undefined, dataDir: server.dataDir }), server.dataDir)
    const failed = new Error('the group failed after sealing')
    let madeThen: string | undefined
    await expect(
      db.transaction().execute(async (tx) => {
        const [key] = await keys.keysFor(tx, ['4915700000001'], '2026')
        madeThen = key!.id
        // In the same transaction the key is what it made (no extra look-up).
        expect((await keys.keysFor(tx, ['4915700000001'], '2026'))[0]!.id).toBe(madeThen)
        throw failed
      }),
    ).rejects.toBe(failed)
    expect(await db.selectFrom('data_keys').select('id').where('id', '=', madeThen!).executeTakeFirst()).toBeUndefined()

    const [again] = await db.transaction().execute((tx) => keys.keysFor(tx, ['4915700000001'], '2026'))
    expect(again!.id).not.toBe(madeThen)
    const stored = await db.selectFrom('data_keys').select(['id', 'wrapped']).where('id', '=', again!.id).executeTakeFirstOrThrow()
    expect(stored.wrapped).not.toBeNull()
    // A fresh process (no cache) opens it: what is sealed with it can be read after a restart.
    const fresh = new DataKeys(loadSecretBox({ keyFile: undefined, dataDir: server.dataDir }), server.dataDir)
    expect((await fresh.key(db, again!.id))!.equals(again!.key)).toBe(true)
  })
})
