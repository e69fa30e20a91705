import { describe, expect, it } from 'vitest'
import { DataKeys } from '../src/modules/archive/data-keys.js'
import { JournalSealer } from '../src/modules/archive/journal-sealer.js'
import { appendEntries } from '../src/modules/journal/journal.repo.js'
import { loadSecretBox } from '../src/platform/crypto/secret-box.js'
import type { Executor } from '../src/db/database.js'
import { DIALECT, useTestServer } from './helpers.js'

describe(`${DIALECT}: data keys (made in groups; nothing sealed with a key never stored)`, () => {
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

  it('a group of webhooks from new customers makes all their keys at once, not a customer at a time', async () => {
    const { server } = ctx
    const { db } = server.database
    const box = loadSecretBox({ keyFile: undefined, dataDir: server.dataDir })
    const count = async (on: Executor = db) => Number((await on.selectFrom('data_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
    const before = await count()
    /** The keys stored after each request for keys: all 30 after the first one. */
    const storedAfterEachCall: number[] = []
    class Watched extends DataKeys {
      override async keysFor(...args: Parameters<DataKeys['keysFor']>) {
        const out = await super.keysFor(...args)
        storedAfterEachCall.push((await count(args[0])) - before) // in the caller's transaction
        return out
      }
    }
    const sealer = new JournalSealer(new Watched(box, server.dataDir), box)
    const customers = Array.from({ length: 30 }, (_, i) => `49157100000${String(i).padStart(2, '0')}`)
    const bodies = customers.map((waId) => Buffer.from(JSON.stringify({ entry: [{ changes: [{ value: { contacts: [{ wa_id: waId }], messages: [{ from: waId, text: { body: 'Hallo' } }] } }] }] })))
    const appended = await db.transaction().execute((tx) => appendEntries(tx, 'whatsapp.webhook', bodies, { sealer, identities: customers.map((c) => [c]) }))
    expect(appended.filter((a) => !a.duplicate)).toHaveLength(30)
    expect(storedAfterEachCall[0]).toBe(30)
    expect(storedAfterEachCall.at(-1)).toBe(30)
    // Each entry is sealed with its own customer's key: the keys named by the entries are 30 different ones.
    const rows = await db.selectFrom('journal').select('key_id').where('seq', 'in', appended.map((a) => a.seq)).execute()
    expect(new Set(rows.map((r) => r.key_id)).size).toBe(30)
  })
})
