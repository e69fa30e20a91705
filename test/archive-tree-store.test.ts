import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DatabaseHandle, openDatabase } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { ArchiveLog } from '../src/modules/archive/archive-log.js'
import { completeSubtrees } from '../src/modules/archive/compact-range.js'
import { leafOfJournalRow } from '../src/modules/archive/leaf.js'
import { consistencyProof, inclusionProof, leafHash, memorySource, rootOf } from '../src/modules/archive/merkle.js'
import { loadArchiveKey } from '../src/modules/archive/signing-key.js'
import { storedConsistencyProof, storedInclusionProof, storedRoot } from '../src/modules/archive/tree-store.js'
import { appendEntries } from '../src/modules/journal/journal.repo.js'
import { DIALECT, removeTestDatabase, TEST_DATABASE_URL } from './helpers.js'

const hex = (bs: Buffer[]) => bs.map((b) => b.toString('hex'))

describe(`${DIALECT}: the stored tree answers like the RFC's in-memory definition`, () => {
  let database: DatabaseHandle
  let dataDir: string
  let schema: string | undefined
  let log: ArchiveLog
  const leaves: Buffer[] = []
  const N = 300

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-tree-'))
    schema = TEST_DATABASE_URL ? `t_${randomBytes(6).toString('hex')}` : undefined
    database = await openDatabase({ url: TEST_DATABASE_URL, dataDir, ...(schema ? { pgSchema: schema } : {}) })
    await migrateToLatest(database)
    // Small integration batches so the in-memory edge is carried across many transactions.
    log = new ArchiveLog(database, loadArchiveKey({ keyFile: undefined, dataDir }), { checkpointEntries: 50, checkpointIntervalMs: 3_600_000, batch: 37 })
    for (let i = 0; i < N; i += 25) {
      await database.db.transaction().execute((tx) => appendEntries(tx, 'whatsapp.webhook', Array.from({ length: 25 }, (_, j) => Buffer.from(`{"n":${i + j}}`))))
      if (i % 100 === 0) await log.sync()
    }
    await log.sync({ forceCheckpoint: true })
    const rows = await database.db.selectFrom('journal').selectAll().orderBy('seq').execute()
    for (const r of rows) leaves.push(leafHash(leafOfJournalRow(r)))
  }, 60_000)
  afterAll(async () => {
    await database.destroy()
    await removeTestDatabase(dataDir, schema)
  })

  it('decomposes ranges into complete, aligned subtrees', () => {
    expect(completeSubtrees(0, 7)).toEqual([{ level: 2, idx: 0 }, { level: 1, idx: 2 }, { level: 0, idx: 6 }])
    expect(completeSubtrees(8, 16)).toEqual([{ level: 3, idx: 1 }])
    expect(completeSubtrees(4, 7)).toEqual([{ level: 1, idx: 2 }, { level: 0, idx: 6 }])
  })

  it('roots, inclusion and consistency proofs from stored nodes equal the recursive definition', async () => {
    expect(leaves).toHaveLength(N)
    const mth = memorySource(leaves)
    for (const size of [1, 2, 3, 7, 8, 9, 64, 100, 255, 256, 257, N]) {
      expect((await storedRoot(database.db, size)).toString('hex')).toBe(rootOf(size, mth).toString('hex'))
      for (const m of [0, 1, Math.floor(size / 2), size - 1].filter((m) => m < size)) {
        expect(hex(await storedInclusionProof(database.db, m, size))).toEqual(hex(inclusionProof(m, size, mth)))
        if (m > 0) expect(hex(await storedConsistencyProof(database.db, m, size))).toEqual(hex(consistencyProof(m, size, mth)))
      }
    }
  })

  it('checkpoints every N entries and the last one covers the whole log', async () => {
    const sizes = (await database.db.selectFrom('archive_checkpoints').select('size').orderBy('size').execute()).map((r) => Number(r.size))
    expect(sizes.at(-1)).toBe(N)
    expect(sizes.length).toBeGreaterThanOrEqual(3)
    const latest = await database.db.selectFrom('archive_checkpoints').select('root_hash').where('size', '=', N).executeTakeFirstOrThrow()
    expect(latest.root_hash).toBe(rootOf(N, memorySource(leaves)).toString('hex'))
  })

  it('a second integrator on the same database carries on where the first stopped', async () => {
    await database.db.transaction().execute((tx) => appendEntries(tx, 'whatsapp.webhook', [Buffer.from('{"n":"late"}')]))
    const other = new ArchiveLog(database, loadArchiveKey({ keyFile: undefined, dataDir }), { checkpointEntries: 1, checkpointIntervalMs: 0 })
    const cp = await other.sync({ forceCheckpoint: true })
    expect(cp?.size).toBe(N + 1)
    const row = await database.db.selectFrom('journal').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow()
    const all = [...leaves, leafHash(leafOfJournalRow(row))]
    expect(cp?.rootHash).toBe(rootOf(N + 1, memorySource(all)).toString('hex'))
    // The first integrator notices the log moved on and continues from the stored edge.
    await database.db.transaction().execute((tx) => appendEntries(tx, 'whatsapp.webhook', [Buffer.from('{"n":"later"}')]))
    const cp2 = await log.sync({ forceCheckpoint: true })
    expect(cp2?.size).toBe(N + 2)
    expect((await storedRoot(database.db, N + 2)).toString('hex')).toBe(cp2?.rootHash)
  })
})
