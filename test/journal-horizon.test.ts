import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { appendEntries, journalHorizon } from '../src/modules/journal/journal.repo.js'
import { DIALECT, useTestServer } from './helpers.js'

const body = (label: string) => Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', test: label, nonce: randomBytes(8).toString('hex') }))
const pending = Symbol('pending')
const stillPending = <T>(p: Promise<T>) => Promise.race([p, new Promise<typeof pending>((r) => setTimeout(() => r(pending), 300))])

describe(`${DIALECT}: the journal's horizon (what the archive may take in, in sequence order)`, () => {
  const ctx = useTestServer()

  if (DIALECT === 'sqlite') {
    it('SQLite has one writer, which commits in sequence order: no horizon to wait for', async () => {
      expect(await journalHorizon(ctx.server.database)).toBeUndefined()
    })
    return
  }

  it('an entry whose transaction is still open holds back the later ones, without holding up any append; afterwards both are leaves in sequence order', async () => {
    const { server } = ctx
    const { db } = server.database
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let appendedEarly!: (seq: number) => void
    const early = new Promise<number>((r) => (appendedEarly = r))
    // An append that draws its number and then stays open (a slow ingest group).
    const slow = db.transaction().execute(async (tx) => {
      const [entry] = await appendEntries(tx, 'whatsapp.webhook', [body('early')])
      appendedEarly(entry!.seq)
      await gate
    })
    const earlySeq = await early
    const leafOf = async (seq: number) => (await db.selectFrom('archive_leaves').select('idx').where('journal_seq', '=', seq).executeTakeFirst())?.idx
    let horizon: Promise<number | null | undefined> = Promise.resolve(null)
    let last = 0
    const [late] = await db.transaction().execute((tx) => appendEntries(tx, 'whatsapp.webhook', [body('late')]))
    expect(late!.seq).toBeGreaterThan(earlySeq)

    try {
      // A horizon waits (up to a second, then gives up for this round) while the early entry is open.
      expect(await stillPending(journalHorizon(server.database))).toBe(pending)
      // Appends go on meanwhile: the archive only looks who is appending, it locks nobody out.
      const [meanwhile] = await db.transaction().execute((tx) => appendEntries(tx, 'whatsapp.webhook', [body('meanwhile')]))
      expect(meanwhile!.seq).toBeGreaterThan(late!.seq)
      // The integrator takes in nothing past the open entry (it would have to skip it).
      await server.archive.sync()
      expect(await leafOf(late!.seq)).toBeUndefined()
      expect(await leafOf(meanwhile!.seq)).toBeUndefined()
      horizon = journalHorizon(server.database)
      expect(await stillPending(horizon)).toBe(pending)
      last = meanwhile!.seq
    } finally {
      release()
      await slow
    }
    // The waiting horizon ends with the open entry.
    expect(await horizon).toBeGreaterThanOrEqual(last)
    await server.archive.sync()
    const [e, l, m] = [await leafOf(earlySeq), await leafOf(late!.seq), await leafOf(last)]
    expect(e).toBeDefined()
    expect(Number(e)).toBeLessThan(Number(l))
    expect(Number(l)).toBeLessThan(Number(m))
  })

  it('with no append in flight the horizon is the last number drawn, at once', async () => {
    const { db } = ctx.server.database
    const [entry] = await db.transaction().execute((tx) => appendEntries(tx, 'whatsapp.webhook', [body('idle')]))
    expect(await journalHorizon(ctx.server.database)).toBeGreaterThanOrEqual(entry!.seq)
  })
})
