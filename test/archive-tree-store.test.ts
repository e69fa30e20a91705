import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DatabaseHandle, openDatabase } from '../src/db/database.js'
import { migrateTo, migrateToLatest } from '../src/db/migrate.js'
import { ArchiveLog } from '../src/modules/archive/archive-log.js'
import { completeSubtrees, Frontier } from '../src/modules/archive/compact-range.js'
import { leafOfJournalRow } from '../src/modules/archive/leaf.js'
import { consistencyProof, inclusionProof, leafHash, memorySource, rootOf } from '../src/modules/archive/merkle.js'
import { loadArchiveKey } from '../src/modules/archive/signing-key.js'
import { storedConsistencyProof, storedInclusionProof, storedRoot } from '../src/modules/archive/tree-store.js'
import { appendEntries } from '../src/modules/journal/journal.repo.js'
import { DIALECT, removeTestDatabase, TEST_DATABASE_URL, withoutTriggers } from './helpers.js'

const hex = (bs: Buffer[]) => bs.map((b) => b.toString('hex'))

describe(`${DIALECT}: the stored tree answers like the RFC's in-memory definition`, () => {
  let database: DatabaseHandle
  let dataDir: string
  let schema: string | undefined
  let log: ArchiveLog
  const leaves: Buffer[] = []
  const N = 600

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
    for (const size of [1, 2, 3, 7, 8, 9, 64, 100, 255, 256, 257, 511, 512, 513, N]) {
      expect((await storedRoot(database.db, size)).toString('hex')).toBe(rootOf(size, mth).toString('hex'))
      for (const m of [0, 1, 255, 256, 300, Math.floor(size / 2), size - 1].filter((m) => m < size)) {
        expect(hex(await storedInclusionProof(database.db, m, size))).toEqual(hex(inclusionProof(m, size, mth)))
        if (m > 0) expect(hex(await storedConsistencyProof(database.db, m, size))).toEqual(hex(consistencyProof(m, size, mth)))
      }
    }
  })

  it('stores nodes on every fourth level only — each the root of 16 of the level below — and names a missing one', async () => {
    const rows = await database.db.selectFrom('archive_nodes').select(['level', 'idx', 'hash']).orderBy('level').orderBy('idx').execute()
    const expected = [...Array.from({ length: Math.floor(N / 16) }, (_, i) => [4, i]), [8, 0], [8, 1]]
    expect(rows.map((r) => [r.level, Number(r.idx)])).toEqual(expected)
    const mth = memorySource(leaves)
    for (const r of rows) expect(Buffer.from(r.hash).toString('hex')).toBe(mth(Number(r.idx) * 2 ** r.level, (Number(r.idx) + 1) * 2 ** r.level).toString('hex'))
    // The stored node is what proofs reach for: the tree is not recomputed from the leaves.
    const node = rows.find((r) => r.level === 8 && Number(r.idx) === 1)!
    await withoutTriggers({ database }, 'archive_nodes', () => database.db.deleteFrom('archive_nodes').where('level', '=', 8).where('idx', '=', 1).execute())
    try {
      await expect(storedInclusionProof(database.db, 3, N)).rejects.toThrow(/archive node 8:1 is missing/)
      await expect(storedRoot(database.db, 256)).resolves.toBeDefined()
    } finally {
      await withoutTriggers({ database }, 'archive_nodes', () => database.db.insertInto('archive_nodes').values(node).execute())
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

describe(`${DIALECT}: GOBD-8 a log stored with a node on every level (the previous release) is thinned to every fourth level on upgrade`, () => {
  it('keeps the roots and proofs it served, and drops only the nodes that are computed now', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-tree-upgrade-'))
    const schema = TEST_DATABASE_URL ? `t_${randomBytes(6).toString('hex')}` : undefined
    const database = await openDatabase({ url: TEST_DATABASE_URL, dataDir, ...(schema ? { pgSchema: schema } : {}) })
    try {
      await migrateTo(database, '2026-12-01T0200_sealed_contact_numbers')
      await database.db.transaction().execute((tx) => appendEntries(tx, 'whatsapp.webhook', Array.from({ length: 300 }, (_, i) => Buffer.from(`{"n":${i}}`))))
      const rows = await database.db.selectFrom('journal').selectAll().orderBy('seq').execute()
      // As the previous release stored it: every leaf, and every node on every level with its leaf hash on level 0.
      const frontier = Frontier.empty()
      const leaves = rows.map((r) => leafOfJournalRow(r))
      const nodes = leaves.flatMap((leaf) => frontier.append(leafHash(leaf)))
      await database.db.insertInto('archive_leaves').values(leaves.map((leaf, i) => ({ idx: i, journal_seq: Number(rows[i]!.seq), leaf_data: leaf }))).execute()
      for (let i = 0; i < nodes.length; i += 200) await database.db.insertInto('archive_nodes').values(nodes.slice(i, i + 200)).execute()
      expect(nodes.length).toBe(2 * 300 - 4) // (300 = 256 + 32 + 8 + 4: four subtrees still open)

      await migrateToLatest(database)
      const left = await database.db.selectFrom('archive_nodes').select(['level', 'idx', 'hash']).orderBy('level').orderBy('idx').execute()
      const kept = nodes.filter((n) => n.level > 0 && n.level % 4 === 0).sort((a, b) => a.level - b.level || a.idx - b.idx)
      expect(kept.map((n) => [n.level, n.idx])).toEqual([...Array.from({ length: 18 }, (_, i) => [4, i]), [8, 0]])
      expect(left.map((r) => [r.level, Number(r.idx), Buffer.from(r.hash).toString('hex')])).toEqual(kept.map((n) => [n.level, n.idx, n.hash.toString('hex')]))
      const mth = memorySource(leaves.map((l) => leafHash(l)))
      for (const size of [1, 255, 256, 257, 300]) {
        expect((await storedRoot(database.db, size)).toString('hex')).toBe(rootOf(size, mth).toString('hex'))
        expect(hex(await storedInclusionProof(database.db, size - 1, size))).toEqual(hex(inclusionProof(size - 1, size, mth)))
      }
      // The log still refuses changes, and the integrator carries on from the thinned edge.
      await expect(database.db.deleteFrom('archive_nodes').execute()).rejects.toThrow(/append-only/)
      await database.db.transaction().execute((tx) => appendEntries(tx, 'whatsapp.webhook', Array.from({ length: 250 }, (_, i) => Buffer.from(`{"m":${i}}`))))
      const log = new ArchiveLog(database, loadArchiveKey({ keyFile: undefined, dataDir }), { checkpointEntries: 1, checkpointIntervalMs: 0 })
      const cp = await log.sync({ forceCheckpoint: true })
      const all = (await database.db.selectFrom('journal').selectAll().orderBy('seq').execute()).map((r) => leafHash(leafOfJournalRow(r)))
      expect(cp?.rootHash).toBe(rootOf(550, memorySource(all)).toString('hex'))
      const stored = await database.db.selectFrom('archive_nodes').select(['level', 'idx']).where('level', '=', 8).orderBy('idx').execute()
      expect(stored.map((r) => [r.level, Number(r.idx)])).toEqual([[8, 0], [8, 1]])
      expect(Number((await database.db.selectFrom('archive_nodes').select(sql<number>`count(*)`.as('n')).where('level', '=', 4).executeTakeFirstOrThrow()).n)).toBe(Math.floor(550 / 16))
    } finally {
      await database.destroy()
      await removeTestDatabase(dataDir, schema)
    }
  }, 60_000)
})
