import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import os from 'node:os'
import { defaultVerifyThreads, verifyArchive, type VerifyOptions } from '../src/modules/archive/verify.js'
import { customerWrites, DIALECT, serverDatabaseEnv, startTestServer, type TestServer, withoutTriggers } from './helpers.js'
import { runCli } from './process.js'

/**
 * `postfach archive verify` reads a large log in aligned slices, side by side in worker threads,
 * and combines the slices' subtrees into every checkpoint's root. Here a small log is cut into
 * slices of a few leaves, so that every way of combining them is exercised: checkpoints inside
 * slices and on their edges, nodes above the slices, a last slice that is not full.
 */
describe(`${DIALECT}: the archive is verified in slices, in worker threads, with the same findings as one pass`, () => {
  let server: TestServer
  const verify = (o: VerifyOptions) => verifyArchive(server.database, server.archive.verifierKey, server.mediaStore, server.sealer, o)

  beforeAll(async () => {
    // A checkpoint every 3 entries: some fall inside slices, some on their edges.
    server = await startTestServer({ env: { ARCHIVE_CHECKPOINT_ENTRIES: '3', ARCHIVE_CHECKPOINT_SECONDS: '3600' } })
    for (let i = 0; i < 23; i++) {
      await customerWrites(server, `4915177100${String(i % 7).padStart(3, '0')}`, `Nachricht ${i}`)
      if (i % 2) await server.archive.sync()
    }
    await server.archive.sync({ forceCheckpoint: true })
    // The last slice of 8 must not be full (counted once everything written is in the log).
    const count = async () => Number((await server.database.db.selectFrom('archive_leaves').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n)
    while ((await count()) % 8 === 0) {
      await customerWrites(server, '4915177100999', 'Noch eine')
      await server.archive.sync({ forceCheckpoint: true })
    }
  }, 60_000)
  afterAll(() => server.stop())

  it('finds an intact log intact however it is sliced, in this thread and in workers', async () => {
    const whole = await verify({ sliceLeaves: 2 ** 20 })
    expect(whole.ok).toBe(true)
    expect(whole.checkpoints).toBeGreaterThan(5)
    const leaves = Number((await server.database.db.selectFrom('archive_leaves').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n)
    expect(whole.leaves).toBe(leaves)
    expect(leaves % 8).not.toBe(0) // the last slice is not full
    for (const o of [{ sliceLeaves: 1, workers: 0 }, { sliceLeaves: 2, workers: 0 }, { sliceLeaves: 4, workers: 0 }, { sliceLeaves: 8, workers: 2, inThisThread: false }, { sliceLeaves: 4, workers: 3, inThisThread: false }, { sliceLeaves: 2, workers: 1 }]) {
      const r = await verify(o)
      expect(r, JSON.stringify(o)).toMatchObject({ ok: true, leaves, checkpoints: whole.checkpoints, media: whole.media, messages: whole.messages, problems: [] })
      // Read in slices indeed (not in the one pass that follows a finding).
      expect(r.slices, JSON.stringify(o)).toBe(Math.ceil(leaves / o.sliceLeaves))
      expect(r.workers).toBe(o.workers)
    }
  }, 60_000)

  it('takes, unless told, a thread per core on SQLite and two per three cores on PostgreSQL, at most four, this one alone for a short log', async () => {
    expect(defaultVerifyThreads('sqlite', 2, 8)).toBe(2)
    expect(defaultVerifyThreads('sqlite', 16, 8)).toBe(4)
    expect(defaultVerifyThreads('sqlite', 1, 8)).toBe(1)
    expect(defaultVerifyThreads('sqlite', 8, 3)).toBe(1)
    expect(defaultVerifyThreads('postgres', 1, 8)).toBe(1)
    expect(defaultVerifyThreads('postgres', 2, 8)).toBe(2)
    expect(defaultVerifyThreads('postgres', 4, 8)).toBe(3)
    expect(defaultVerifyThreads('postgres', 6, 8)).toBe(4)
    expect(defaultVerifyThreads('postgres', 16, 8)).toBe(4)
    expect(defaultVerifyThreads('postgres', 4, 3)).toBe(1)
    // Through the entry point, with the default: the threads this machine gets.
    const r = await verify({ sliceLeaves: 4 })
    expect(r).toMatchObject({ ok: true, problems: [] })
    expect(r.slices).toBeGreaterThanOrEqual(4)
    // Workers beside this thread, which takes slices too.
    expect(r.workers).toBe(defaultVerifyThreads(DIALECT, os.availableParallelism(), r.slices) - 1)
  }, 60_000)

  it('is what `postfach archive verify --threads N` runs, and the command refuses a bad number', async () => {
    const env = serverDatabaseEnv(server)
    const r = await runCli(['archive', 'verify', '--slice-leaves', '4', '--threads', '2'], env)
    expect(r.stdout).toMatch(/The archive is intact/)
    expect(r.stdout).toMatch(/read in \d+ slices on 2 threads/)
    expect(r.code).toBe(0)
    for (const bad of [['--threads', 'many'], ['--threads', '0'], ['--slice-leaves', '3']]) {
      const refused = await runCli(['archive', 'verify', ...bad], env)
      expect(refused.code, bad.join(' ')).toBe(2)
      expect(refused.stderr).toMatch(/--threads|--slice-leaves/)
    }
    const alone = await runCli(['archive', 'verify', '--slice-leaves', '4', '--threads', '1'], env)
    expect(alone.stdout).toMatch(/The archive is intact/)
    expect(alone.stdout).not.toMatch(/read in \d+ slices on/)
    expect(alone.code).toBe(0)
  }, 60_000)

  it('verifies in this thread when the worker threads cannot open the database', async () => {
    const unreachable = { ...server.database.options!, ...(DIALECT === 'postgres' ? { url: 'postgres://postgres@127.0.0.1:1/none' } : { sqliteFile: '/nonexistent/postfach.sqlite' }) }
    for (const inThisThread of [true, false]) {
      const r = await verifyArchive({ ...server.database, options: unreachable }, server.archive.verifierKey, server.mediaStore, server.sealer, { sliceLeaves: 4, workers: 2, inThisThread })
      expect(r).toMatchObject({ ok: true, workers: 0, problems: [] })
      expect(r.slices).toBeGreaterThan(1)
    }
  }, 60_000)

  it('names a changed tree node above the slices, which only the combination of slices sees', async () => {
    const db = server.database.db
    const node = await db.selectFrom('archive_nodes').select(['level', 'idx', 'hash']).where('level', '=', 4).orderBy('idx').limit(1).executeTakeFirstOrThrow()
    await withoutTriggers(server, 'archive_nodes', () => db.updateTable('archive_nodes').set({ hash: Buffer.alloc(32, 7) }).where('level', '=', 4).where('idx', '=', node.idx).execute())
    try {
      for (const o of [{ sliceLeaves: 2, workers: 0 }, { sliceLeaves: 4, workers: 2, inThisThread: false }]) {
        const r = await verify(o)
        expect(r.ok, JSON.stringify(o)).toBe(false)
        expect(r.slices).toBe(0) // the one pass after a finding names it
        expect(r.problems).toContainEqual(expect.objectContaining({ code: 'node-changed', node: `4:${node.idx}` }))
      }
    } finally {
      await withoutTriggers(server, 'archive_nodes', () => db.updateTable('archive_nodes').set({ hash: node.hash }).where('level', '=', 4).where('idx', '=', node.idx).execute())
    }
    expect((await verify({ sliceLeaves: 4, workers: 2 })).ok).toBe(true)
  }, 60_000)

  it('names a changed leaf in a slice read by a worker, and a deleted leaf at a slice edge', async () => {
    const db = server.database.db
    const leaf = await db.selectFrom('archive_leaves').select(['idx', 'journal_seq', 'leaf_data']).where('idx', '=', 9).executeTakeFirstOrThrow()
    const edited = Buffer.from(leaf.leaf_data)
    edited[edited.length - 1]! ^= 1
    await withoutTriggers(server, 'archive_leaves', () => db.updateTable('archive_leaves').set({ leaf_data: edited }).where('idx', '=', 9).execute())
    let r = await verify({ sliceLeaves: 4, workers: 2, inThisThread: false })
    expect(r.ok).toBe(false)
    expect(r.problems).toContainEqual(expect.objectContaining({ leafIndex: 9, code: 'entry-changed' }))
    await withoutTriggers(server, 'archive_leaves', () => db.updateTable('archive_leaves').set({ leaf_data: leaf.leaf_data }).where('idx', '=', 9).execute())

    const edge = await db.selectFrom('archive_leaves').selectAll().where('idx', '=', 7).executeTakeFirstOrThrow()
    await withoutTriggers(server, 'archive_leaves', () => db.deleteFrom('archive_leaves').where('idx', '=', 7).execute())
    r = await verify({ sliceLeaves: 4, workers: 2 })
    expect(r.ok).toBe(false)
    expect(r.problems).toContainEqual(expect.objectContaining({ code: 'entries-deleted', from: 7, to: 7 }))
    await withoutTriggers(server, 'archive_leaves', () => db.insertInto('archive_leaves').values(edge).execute())
    expect((await verify({ sliceLeaves: 4, workers: 2 })).ok).toBe(true)
  }, 60_000)
})
