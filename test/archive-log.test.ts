import { createHash, createPublicKey } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyCheckpoint } from '../src/modules/archive/checkpoint.js'
import { decodeLeaf } from '../src/modules/archive/leaf.js'
import { leafHash, verifyConsistency, verifyInclusion } from '../src/modules/archive/merkle.js'
import { verifyArchive, type VerifyReport } from '../src/modules/archive/verify.js'
import { type Caller, capturedLog, customerWrites, DIALECT, eventually, readFixture, serverDatabaseEnv, startTestServer, type TestServer, withoutTriggers } from './helpers.js'
import { runCli } from './process.js'

const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')

/** A customer conversation with text, an image (downloaded into the store) and an agent's reply. */
async function populate(server: TestServer, agent: Caller, prefix: string, log?: string[]) {
  const texts = []
  for (let i = 0; i < 3; i++) texts.push(await customerWrites(server, `49151770000${prefix}${i}`, `Hallo Nummer ${i}`, `Kunde ${i}`))
  const sim = server.simulatorState()
  const mediaId = sim.storeMedia(PNG, 'image/png')
  const imageWamid = sim.customerSends(`49151770000${prefix}0`, 'Kunde 0', 'image', { mime_type: 'image/png', sha256: createHash('sha256').update(PNG).digest('base64'), id: mediaId })
  // Generous waits: the download and the send run in workers, which a loaded CI machine can hold up for seconds.
  const image = await eventually(() => server.database.db.selectFrom('media').select(['id', 'sha256']).where('state', '=', 'stored').executeTakeFirst(), 20_000)
  const reply = await agent.inject({ method: 'POST', url: `/api/conversations/${texts[0]!.conversationId}/messages`, payload: { type: 'text', text: { body: 'Gern geschehen' } } })
  expect(reply.statusCode).toBe(202)
  const outboundId = reply.json().id as string
  await eventually(async () => (await server.database.db.selectFrom('messages').select('journal_seq').where('id', '=', outboundId).executeTakeFirst())?.journal_seq, 20_000).catch(async (error) => {
    // Say why: the message's state, the send jobs and what the server logged (this wait has timed out on CI once).
    const message = await server.database.db.selectFrom('messages').select(['status', 'wamid', 'error_title', 'journal_seq']).where('id', '=', outboundId).executeTakeFirst()
    const jobs = await server.database.db.selectFrom('jobs').select(['kind', 'state', 'attempts', 'run_at', 'last_error']).execute()
    throw new Error(`${(error as Error).message}; at ${new Date().toISOString()} the reply is ${JSON.stringify(message)}, jobs ${JSON.stringify(jobs)}, log ${JSON.stringify(log ?? [])}`)
  })
  const inbound = await server.database.db.selectFrom('messages').select(['id', 'journal_seq']).where('wamid', '=', texts[1]!.wamid).executeTakeFirstOrThrow()
  return { inbound: { id: inbound.id, seq: Number(inbound.journal_seq) }, outboundId, image, imageWamid }
}

const verify = (server: TestServer) => verifyArchive(server.database, server.archive.verifierKey, server.mediaStore, server.sealer)

const cli = (server: TestServer, args: string[]) => runCli(args, serverDatabaseEnv(server))

describe(`${DIALECT}: the archive's Merkle log over the journal`, () => {
  let server: TestServer
  let agent: Caller
  let auditor: Caller
  let fixture: Awaited<ReturnType<typeof populate>>
  beforeAll(async () => {
    const log = capturedLog()
    server = await startTestServer({ logger: { stream: log.stream }, env: { LOG_LEVEL: 'warn', ARCHIVE_CHECKPOINT_SECONDS: '3600', ARCHIVE_CHECKPOINT_ENTRIES: '1000000' } })
    agent = await server.login('agent')
    auditor = await server.login('auditor')
    fixture = await populate(server, agent, '1', log.lines)
    await server.archive.sync({ forceCheckpoint: true })
  }, 60_000)
  afterAll(() => server.stop())

  it('ARCH-3 / GOBD-2: every journal entry is a leaf, numbered without gaps in journal order', async () => {
    const db = server.database.db
    // Status webhooks keep arriving: compare what the journal held before the log caught up.
    const journalBefore = await db.selectFrom('journal').select(['seq', 'kind']).orderBy('seq').execute()
    await server.archive.sync()
    const leaves = await db.selectFrom('archive_leaves').select(['idx', 'journal_seq', 'leaf_data']).orderBy('idx').execute()
    const lastSeq = Number(leaves.at(-1)!.journal_seq)
    const journal = await db.selectFrom('journal').select(['seq', 'kind']).where('seq', '<=', lastSeq).orderBy('seq').execute()
    expect(journal.length).toBeGreaterThanOrEqual(journalBefore.length)
    expect(leaves.length).toBe(journal.length)
    expect(leaves.map((l) => Number(l.idx))).toEqual(journal.map((_, i) => i))
    expect(leaves.map((l) => Number(l.journal_seq))).toEqual(journal.map((j) => Number(j.seq)))
    // The release that started, webhooks, the Graph response of the reply and the stored image are all in it.
    expect(new Set(journal.map((j) => j.kind))).toEqual(new Set(['archive.release', 'whatsapp.webhook', 'whatsapp.send_response', 'media.stored']))
    expect((await verify(server)).ok).toBe(true)
  })

  it('GOBD-3: the stored raw payload and media re-hash to the hashes recorded at ingest, and open to the bytes received', async () => {
    const db = server.database.db
    const raw = readFixture('text.json')
    const before = await db.selectFrom('journal').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirstOrThrow()
    expect((await server.webhook(raw)).statusCode).toBe(200)
    const entries = await db.selectFrom('journal').select(['seq', 'kind', 'content', 'content_sha256', 'stored_sha256', 'key_id']).orderBy('seq').execute()
    let opened = 0
    for (const e of entries) {
      const stored = Buffer.from(e.content!)
      expect(sha256Hex(stored), `journal seq ${e.seq}`).toBe(e.stored_sha256 ?? e.content_sha256)
      if (e.key_id === null) continue
      // A sealed entry: its payload opens to what was received, and its recorded (keyed) digest is the payload's.
      const payload = (await server.sealer.open(db, stored))!.payload
      expect(server.sealer.digest(payload), `journal seq ${e.seq}`).toBe(e.content_sha256)
      opened++
    }
    expect(opened).toBeGreaterThan(3)
    // The simulator's status webhooks may land beside it: exactly one webhook journaled since opens to the bytes sent.
    const since = await db.selectFrom('journal').select('content').where('kind', '=', 'whatsapp.webhook').where('seq', '>', Number(before.seq)).execute()
    const payloads = await Promise.all(since.map(async (r) => (await server.sealer.open(db, Buffer.from(r.content!)))!.payload))
    expect(payloads.filter((p) => p.equals(Buffer.from(raw)))).toHaveLength(1)
    // The image opens byte for byte as downloaded, under the digest the log names (the file on disk is encrypted at rest).
    const file = fs.readFileSync(path.join(server.dataDir, 'media', fixture.image.sha256!.slice(0, 2), fixture.image.sha256!.slice(2, 4), fixture.image.sha256!))
    expect(file.includes(PNG)).toBe(false)
    const image = (await server.mediaStore.get(fixture.image.sha256!))!
    expect(image.equals(PNG)).toBe(true)
    expect(sha256Hex(image)).toBe(fixture.image.sha256)
    const logged = entries.filter((e) => e.kind === 'media.stored').map((e) => JSON.parse(Buffer.from(e.content!).toString('utf8')).sha256)
    expect(logged).toContain(fixture.image.sha256)
  })

  it('SHRED-4: a leaf names the stored bytes and a salted commitment, never a number, a text or a plain hash of them', async () => {
    const leaves = await server.database.db.selectFrom('archive_leaves as l').innerJoin('journal as j', 'j.seq', 'l.journal_seq').select(['l.leaf_data', 'j.content', 'j.seq', 'j.kind', 'j.received_at', 'j.commitment']).execute()
    const numbers = ['4915177000010', '4915177000011', '4915177000012']
    const plainHashes = new Set(numbers.flatMap((n) => [n, `+${n}`]).map((n) => createHash('sha256').update(n).digest('hex')))
    let sealed = 0
    for (const l of leaves) {
      const text = Buffer.from(l.leaf_data).toString('utf8')
      expect(text).not.toMatch(/4915177|Hallo|Kunde|Gern/)
      const stored = createHash('sha256').update(l.content!).digest('hex')
      const leaf = decodeLeaf(l.leaf_data)!
      expect(leaf).toEqual({ seq: Number(l.seq), kind: l.kind, at: l.received_at, storedSha256: stored, commitment: l.commitment ?? stored })
      expect(plainHashes.has(leaf.commitment) || plainHashes.has(leaf.storedSha256)).toBe(false)
      if (l.kind === 'whatsapp.webhook' || l.kind === 'whatsapp.send_response') {
        // Payloads that name a customer are sealed: the number is not in the stored bytes either.
        expect(Buffer.from(l.content!).toString('latin1')).not.toMatch(/4915177/)
        expect(l.commitment).not.toBe(stored)
        // The commitment is SHA-256(salt ‖ original): it proves the original to whoever gets the salt.
        const opened = (await server.sealer.open(server.database.db, Buffer.from(l.content!)))!
        expect(createHash('sha256').update(opened.salt).update(opened.payload).digest('hex')).toBe(leaf.commitment)
        sealed++
      }
    }
    expect(sealed).toBeGreaterThanOrEqual(5)
  })

  it('proves an inbound and an outbound message against the signed checkpoint, with the public key alone', async () => {
    const key = (await auditor.inject({ method: 'GET', url: '/api/archive/public-key' })).json()
    expect(key.algorithm).toBe('Ed25519')
    const publicKey = createPublicKey(key.pem)
    expect(Buffer.from(key.publicKey, 'base64')).toHaveLength(32)
    const note = await auditor.inject({ method: 'GET', url: '/api/archive/checkpoint' })
    expect(note.headers['content-type']).toMatch(/^text\/plain/)
    const checkpoint = verifyCheckpoint(note.body, { name: key.keyName, publicKey })!
    expect(checkpoint.origin).toBe(key.keyName)
    for (const messageId of [fixture.inbound.id, fixture.outboundId]) {
      const res = await auditor.inject({ method: 'GET', url: `/api/archive/proof/inclusion?messageId=${messageId}` })
      expect(res.statusCode).toBe(200)
      const p = res.json()
      expect(p.treeSize).toBe(checkpoint.size)
      expect(p.rootHash).toBe(checkpoint.root.toString('hex'))
      const leaf = Buffer.from(p.leafData, 'base64')
      expect(p.leafHash).toBe(leafHash(leaf).toString('hex'))
      expect(verifyInclusion(p.leafIndex, p.treeSize, leafHash(leaf), p.path.map((h: string) => Buffer.from(h, 'hex')), checkpoint.root)).toBe(true)
      // The proof is for this message's entry, and a wrong leaf or index does not verify.
      const message = await server.database.db.selectFrom('messages').select('journal_seq').where('id', '=', messageId).executeTakeFirstOrThrow()
      expect(decodeLeaf(leaf)!.seq).toBe(Number(message.journal_seq))
      expect(verifyInclusion(p.leafIndex, p.treeSize, leafHash(Buffer.from('x')), p.path.map((h: string) => Buffer.from(h, 'hex')), checkpoint.root)).toBe(false)
    }
  })

  it('ARCH-2: any two checkpoints are consistent, and later entries extend the log', async () => {
    const before = (await auditor.inject({ method: 'GET', url: '/api/archive/checkpoints' })).json().items[0]
    await customerWrites(server, '4915177000199', 'Noch eine Frage')
    const after = (await server.archive.sync({ forceCheckpoint: true }))!
    expect(after.size).toBeGreaterThan(before.size)
    const listed = (await auditor.inject({ method: 'GET', url: '/api/archive/checkpoints' })).json().items
    expect(listed.map((c: { size: number }) => c.size)).toEqual([after.size, before.size])
    const res = await auditor.inject({ method: 'GET', url: `/api/archive/proof/consistency?from=${before.size}&to=${after.size}` })
    expect(res.statusCode).toBe(200)
    const path = res.json().path.map((h: string) => Buffer.from(h, 'hex'))
    expect(verifyConsistency(before.size, after.size, Buffer.from(before.rootHash, 'hex'), Buffer.from(after.rootHash, 'hex'), path)).toBe(true)
    expect(verifyConsistency(before.size, after.size, Buffer.from(after.rootHash, 'hex'), Buffer.from(before.rootHash, 'hex'), path)).toBe(false)
    // Every size pair in between proves as well (the stored nodes serve any range).
    for (let from = 1; from <= after.size; from++) {
      const p = (await auditor.inject({ method: 'GET', url: `/api/archive/proof/consistency?from=${from}&to=${after.size}` })).json()
      expect(p.path.length === 0 ? from === after.size : true).toBe(true)
    }
  })

  it('answers malformed, unknown, unauthenticated and forbidden proof requests clearly', async () => {
    const anonymous = await server.app.inject({ method: 'GET', url: `/api/archive/proof/inclusion?messageId=${fixture.inbound.id}` })
    expect(anonymous.statusCode).toBe(401)
    expect((await agent.inject({ method: 'GET', url: `/api/archive/proof/inclusion?messageId=${fixture.inbound.id}` })).statusCode).toBe(403)
    expect((await agent.inject({ method: 'GET', url: '/api/archive/proof/consistency?from=1&to=2' })).statusCode).toBe(403)
    const both = await auditor.inject({ method: 'GET', url: `/api/archive/proof/inclusion?messageId=${fixture.inbound.id}&leafIndex=0` })
    expect(both.statusCode).toBe(400)
    expect((await auditor.inject({ method: 'GET', url: '/api/archive/proof/inclusion' })).statusCode).toBe(400)
    expect((await auditor.inject({ method: 'GET', url: '/api/archive/proof/inclusion?leafIndex=-1' })).statusCode).toBe(400)
    expect((await auditor.inject({ method: 'GET', url: '/api/archive/proof/inclusion?messageId=nope' })).statusCode).toBe(404)
    expect((await auditor.inject({ method: 'GET', url: '/api/archive/proof/inclusion?leafIndex=999999' })).statusCode).toBe(404)
    expect((await auditor.inject({ method: 'GET', url: '/api/archive/proof/consistency?from=3&to=2' })).statusCode).toBe(400)
    const beyond = await auditor.inject({ method: 'GET', url: '/api/archive/proof/consistency?from=1&to=99999999' })
    expect(beyond.statusCode).toBe(400)
    expect(beyond.json().detail).toMatch(/latest checkpoint/)
    expect((await auditor.inject({ method: 'GET', url: '/api/archive/proof/consistency?from=a&to=2' })).statusCode).toBe(400)
    // The agent may fetch the checkpoint and key (they are public knowledge for verifiers).
    expect((await agent.inject({ method: 'GET', url: '/api/archive/checkpoint' })).statusCode).toBe(200)
  })

  it('GOBD-6 (a): the log tables refuse UPDATE and DELETE', async () => {
    const db = server.database.db
    await expect(db.updateTable('archive_leaves').set({ journal_seq: 999 }).where('idx', '=', 0).execute()).rejects.toThrow(/append-only/)
    // (A node row of its own, so that the refusal does not hang on how many nodes this log has stored.)
    const node = { level: 8, idx: 4_000_000, hash: Buffer.alloc(32, 1) }
    await db.insertInto('archive_nodes').values(node).execute()
    await expect(db.deleteFrom('archive_nodes').where('idx', '=', node.idx).execute()).rejects.toThrow(/append-only/)
    await expect(db.updateTable('archive_nodes').set({ hash: Buffer.alloc(32, 2) }).where('idx', '=', node.idx).execute()).rejects.toThrow(/append-only/)
    await withoutTriggers(server, 'archive_nodes', () => db.deleteFrom('archive_nodes').where('idx', '=', node.idx).execute())
    await expect(db.deleteFrom('archive_checkpoints').execute()).rejects.toThrow(/append-only/)
    await expect(db.updateTable('journal').set({ kind: 'x' }).where('seq', '=', fixture.inbound.seq).execute()).rejects.toThrow(/append-only/)
    expect((await verify(server)).ok).toBe(true)
  })

  it('signs a checkpoint over everything on shutdown, with the key kept in DATA_DIR (0600)', async () => {
    const keyFile = path.join(server.dataDir, 'archive-signing.key')
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600)
    await customerWrites(server, '4915177000198', 'Zum Schluss')
    const { db } = server.database
    const journaled = await db.selectFrom('journal').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()
    await server.archive.stop()
    const leaves = await db.selectFrom('archive_leaves').select([sql<number>`count(*)`.as('n'), sql<number>`max(journal_seq)`.as('lastSeq')]).executeTakeFirstOrThrow()
    const latest = await db.selectFrom('archive_checkpoints').select('size').orderBy('size', 'desc').limit(1).executeTakeFirstOrThrow()
    expect(Number(latest.size)).toBe(Number(leaves.n))
    // Everything journaled before the shutdown is in the signed tree (a late status webhook from the
    // simulator may still be journaled after it: that one is not, and need not be).
    expect(Number(leaves.n)).toBeGreaterThanOrEqual(Number(journaled.n))
    const upToLast = await db.selectFrom('journal').select(sql<number>`count(*)`.as('n')).where('seq', '<=', Number(leaves.lastSeq)).executeTakeFirstOrThrow()
    expect(Number(leaves.n)).toBe(Number(upToLast.n))
  })
})

type Tamper = { name: string; change: (server: TestServer, f: Awaited<ReturnType<typeof populate>>) => Promise<void>; expect: (report: VerifyReport, f: Awaited<ReturnType<typeof populate>>) => void; cliNames: (f: Awaited<ReturnType<typeof populate>>) => RegExp }

/** The entry a tamper chose for itself (set by its change). */
let tamperedSeq = -1

const TAMPERS: Tamper[] = [
  {
    name: 'one byte of a webhook payload is edited',
    async change(server, f) {
      const row = await server.database.db.selectFrom('journal').select('content').where('seq', '=', f.inbound.seq).executeTakeFirstOrThrow()
      const edited = Buffer.from(row.content!)
      edited[edited.length - 1]! ^= 0x01
      await withoutTriggers(server, 'journal', () => server.database.db.updateTable('journal').set({ content: edited }).where('seq', '=', f.inbound.seq).execute())
    },
    expect: (r, f) => expect(r.problems).toContainEqual(expect.objectContaining({ journalSeq: f.inbound.seq, problem: expect.stringMatching(/differs from what was logged/) })),
    cliNames: (f) => new RegExp(`journal seq ${f.inbound.seq}: the stored whatsapp.webhook entry differs`),
  },
  {
    name: "an entry's kind or time is changed to text no leaf can hold (a space, a line break)",
    async change(server, f) {
      await withoutTriggers(server, 'journal', () => server.database.db.updateTable('journal').set({ kind: 'whatsapp.webhook\nat 2020' }).where('seq', '=', f.inbound.seq).execute())
      await withoutTriggers(server, 'journal', () => server.database.db.updateTable('journal').set({ received_at: '2026-01-01 00:00' }).where('seq', '=', f.inbound.seq - 1).execute())
    },
    expect: (r, f) => {
      expect(r.problems).toContainEqual(expect.objectContaining({ journalSeq: f.inbound.seq, code: 'entry-changed' }))
      expect(r.problems).toContainEqual(expect.objectContaining({ journalSeq: f.inbound.seq - 1, code: 'entry-changed' }))
    },
    cliNames: (f) => new RegExp(`journal seq ${f.inbound.seq - 1}: the stored \\S+ entry differs`),
  },
  {
    name: "a plain entry's recorded digest is changed (its bytes and leaf left alone)",
    async change(server) {
      const { db } = server.database
      const plain = await db.selectFrom('journal').select('seq').where('key_id', 'is', null).where('content', 'is not', null).orderBy('seq', 'desc').executeTakeFirstOrThrow()
      await withoutTriggers(server, 'journal', () => db.updateTable('journal').set({ content_sha256: 'f'.repeat(64) }).where('seq', '=', plain.seq).execute())
      tamperedSeq = Number(plain.seq)
    },
    expect: (r) => expect(r.problems).toContainEqual(expect.objectContaining({ journalSeq: tamperedSeq, code: 'payload-changed', problem: 'the payload no longer matches its recorded digest' })),
    cliNames: () => new RegExp(`journal seq ${tamperedSeq}: the payload no longer matches its recorded digest`),
  },
  {
    name: 'a journal entry is deleted',
    change: (server, f) => withoutTriggers(server, 'journal', () => server.database.db.deleteFrom('journal').where('seq', '=', f.inbound.seq).execute()),
    expect: (r, f) => expect(r.problems).toContainEqual(expect.objectContaining({ journalSeq: f.inbound.seq, problem: 'the journal entry was deleted' })),
    cliNames: (f) => new RegExp(`journal seq ${f.inbound.seq}: the journal entry was deleted`),
  },
  {
    name: 'two journal entries are swapped (reordered)',
    async change(server, f) {
      const db = server.database.db
      const [a, b] = await db.selectFrom('journal').selectAll().where('kind', '=', 'whatsapp.webhook').where('seq', '<=', f.inbound.seq).orderBy('seq', 'desc').limit(2).execute()
      await withoutTriggers(server, 'journal', async () => {
        await db.updateTable('journal').set({ content: b!.content, content_sha256: `${b!.content_sha256}-` }).where('seq', '=', a!.seq).execute()
        await db.updateTable('journal').set({ content: a!.content, content_sha256: a!.content_sha256 }).where('seq', '=', b!.seq).execute()
        await db.updateTable('journal').set({ content_sha256: b!.content_sha256 }).where('seq', '=', a!.seq).execute()
      })
    },
    expect: (r, f) => {
      const named = r.problems.filter((p) => /differs from what was logged/.test(p.problem)).map((p) => p.journalSeq)
      expect(named).toHaveLength(2)
      expect(named).toContain(f.inbound.seq)
    },
    cliNames: (f) => new RegExp(`journal seq ${f.inbound.seq}:`),
  },
  {
    name: 'a journal entry is inserted into the past',
    async change(server) {
      const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}')
      const values = `0, '2026-01-01T00:00:00.000Z', 'whatsapp.webhook', '${createHash('sha256').update(body).digest('hex')}'`
      const statement = DIALECT === 'postgres' ? `insert into journal (seq, received_at, kind, content_sha256) overriding system value values (${values})` : `insert into journal (seq, received_at, kind, content_sha256) values (${values})`
      await sql.raw(statement).execute(server.database.db)
    },
    expect: (r) => expect(r.problems).toContainEqual(expect.objectContaining({ journalSeq: 0, problem: expect.stringMatching(/not in the log/) })),
    cliNames: () => /journal seq 0: a journal entry is not in the log/,
  },
  {
    name: 'a leaf is rewritten to match an edited payload (below the stored node levels)',
    async change(server, f) {
      const db = server.database.db
      const leaf = await db.selectFrom('archive_leaves').select(['idx', 'leaf_data']).where('journal_seq', '=', f.inbound.seq).executeTakeFirstOrThrow()
      const forged = Buffer.from(Buffer.from(leaf.leaf_data).toString('utf8').replace(/stored-sha256 \w+/, `stored-sha256 ${'0'.repeat(64)}`))
      await withoutTriggers(server, 'archive_leaves', () => db.updateTable('archive_leaves').set({ leaf_data: forged }).where('idx', '=', leaf.idx).execute())
    },
    expect: (r) => {
      expect(r.problems.some((p) => p.checkpointSize !== undefined && /no longer produce the signed root/.test(p.problem))).toBe(true)
    },
    cliNames: () => /checkpoint \d+: the log's first \d+ entries no longer produce the signed root/,
  },
  {
    name: 'a byte of a leaf is replaced by one no leaf holds (not text)',
    async change(server, f) {
      const db = server.database.db
      const leaf = await db.selectFrom('archive_leaves').select(['idx', 'leaf_data']).where('journal_seq', '=', f.inbound.seq).executeTakeFirstOrThrow()
      const forged = Buffer.from(leaf.leaf_data)
      forged[forged.indexOf('kind ') + 5] = 0xff
      await withoutTriggers(server, 'archive_leaves', () => db.updateTable('archive_leaves').set({ leaf_data: forged }).where('idx', '=', leaf.idx).execute())
    },
    expect: (r, f) => expect(r.problems).toContainEqual(expect.objectContaining({ journalSeq: f.inbound.seq, code: 'entry-changed' })),
    cliNames: (f) => new RegExp(`journal seq ${f.inbound.seq}: the stored whatsapp.webhook entry differs`),
  },
  {
    name: "a media file's bytes are changed",
    async change(server, f) {
      fs.writeFileSync(path.join(server.dataDir, 'media', f.image.sha256!.slice(0, 2), f.image.sha256!.slice(2, 4), f.image.sha256!), Buffer.concat([PNG, Buffer.from([0])]))
    },
    expect: (r, f) => expect(r.problems).toContainEqual(expect.objectContaining({ mediaId: f.image.id, problem: 'the media file changed since it was logged' })),
    cliNames: (f) => new RegExp(`media ${f.image.id}: the media file changed`),
  },
  {
    name: "a message's text is edited in the inbox table (re-sealed by someone who has the key)",
    async change(server, f) {
      const { db } = server.database
      const [row] = await server.vault.open(db, [await db.selectFrom('messages').select(['id', 'content', 'key_id', 'timestamp']).where('id', '=', f.inbound.id).executeTakeFirstOrThrow()])
      const contactId = (await db.selectFrom('messages').innerJoin('conversations', 'conversations.id', 'messages.conversation_id').select('conversations.contact_id').where('messages.id', '=', f.inbound.id).executeTakeFirstOrThrow()).contact_id
      const [sealed] = await server.vault.seal(db, [{ id: row!.id, contactId, timestamp: row!.timestamp, content: row!.content.replace('Nummer', 'Numero') }])
      await db.updateTable('messages').set(sealed!).where('id', '=', f.inbound.id).execute()
    },
    expect: (r, f) => expect(r.problems).toContainEqual(expect.objectContaining({ messageId: f.inbound.id, problem: expect.stringMatching(/content changed/) })),
    cliNames: (f) => new RegExp(`message ${f.inbound.id}: the stored message differs`),
  },
  {
    name: "a message's sealed bytes are changed in the inbox table",
    async change(server, f) {
      const row = await server.database.db.selectFrom('messages').select('content').where('id', '=', f.inbound.id).executeTakeFirstOrThrow()
      const i = Math.floor(row.content.length / 2)
      await server.database.db.updateTable('messages').set({ content: row.content.slice(0, i) + (row.content[i] === 'A' ? 'B' : 'A') + row.content.slice(i + 1) }).where('id', '=', f.inbound.id).execute()
    },
    expect: (r, f) => expect(r.problems).toContainEqual(expect.objectContaining({ messageId: f.inbound.id, problem: expect.stringMatching(/no longer opens/) })),
    cliNames: (f) => new RegExp(`message ${f.inbound.id}: the stored message differs`),
  },
]

describe(`${DIALECT}: GOBD-6 (b) tampering with the stored archive is detected and named`, () => {
  for (const t of TAMPERS) {
    it(`${t.name}`, async () => {
      const log = capturedLog()
      const server = await startTestServer({ logger: { stream: log.stream }, env: { LOG_LEVEL: 'warn' } })
      try {
        const agent = await server.login('agent')
        const f = await populate(server, agent, '2', log.lines)
        await server.archive.sync({ forceCheckpoint: true })
        const intact = await cli(server, ['archive', 'verify'])
        expect(intact.stdout).toMatch(/The archive is intact/)
        expect(intact.code).toBe(0)
        await t.change(server, f)
        const report = await verify(server)
        expect(report.ok).toBe(false)
        t.expect(report, f)
        const broken = await cli(server, ['archive', 'verify'])
        expect(broken.code).toBe(1)
        expect(broken.stdout).toMatch(t.cliNames(f))
      } finally {
        await server.stop()
      }
    }, 60_000)
  }
})

describe(`${DIALECT}: the continuous verifier`, () => {
  it('raises an alert on a changed entry: status, audit log and a draft incident in the breach register', async () => {
    const log = capturedLog()
    const server = await startTestServer({ logger: { stream: log.stream }, env: { LOG_LEVEL: 'warn' } })
    try {
      const agent = await server.login('agent')
      const admin = await server.login('admin')
      const f = await populate(server, agent, '3', log.lines)
      await server.archive.sync({ forceCheckpoint: true })
      const healthy = (await admin.inject({ method: 'GET', url: '/api/archive/status?check=1' })).json()
      expect(healthy.integrity).toMatchObject({ ok: true, problems: [] })
      expect(healthy.integrity.provenSize).toBe(healthy.latestCheckpoint.size)
      expect(healthy.size).toBeGreaterThanOrEqual(healthy.latestCheckpoint.size)
      expect((await agent.inject({ method: 'GET', url: '/api/archive/status' })).statusCode).toBe(403)

      await TAMPERS[0]!.change(server, f)
      const alarmed = (await admin.inject({ method: 'GET', url: '/api/archive/status?check=1' })).json()
      expect(alarmed.integrity.ok).toBe(false)
      expect(alarmed.integrity.problems).toContainEqual(expect.objectContaining({ journalSeq: f.inbound.seq }))
      const breaches = (await admin.inject({ method: 'GET', url: '/api/privacy/breaches' })).json().items
      expect(breaches).toContainEqual(expect.objectContaining({ id: alarmed.integrity.breachId, source: 'archive-verifier' }))
      const audit = (await admin.inject({ method: 'GET', url: '/api/audit?action=archive.integrity_failed' })).json().items
      expect(audit.length).toBeGreaterThanOrEqual(1)
      // The alert stays until it is dealt with, and a second check does not open a second incident.
      await admin.inject({ method: 'GET', url: '/api/archive/status?check=1' })
      const again = (await admin.inject({ method: 'GET', url: '/api/privacy/breaches' })).json().items
      expect(again.filter((b: { source: string }) => b.source === 'archive-verifier')).toHaveLength(1)
    } finally {
      await server.stop()
    }
  }, 60_000)
})

describe(`${DIALECT}: GOBD-4 timeliness`, () => {
  it('reports how long entries wait for a checkpoint and the commit p99, and raises an alert over the limit', async () => {
    const server = await startTestServer({ env: { ARCHIVE_CHECKPOINT_SECONDS: '3600', ARCHIVE_CHECKPOINT_ENTRIES: '1000000', ARCHIVE_CHECKPOINT_LIMIT_SECONDS: '1' } })
    try {
      const admin = await server.login('admin')
      await server.archive.sync({ forceCheckpoint: true })
      await customerWrites(server, '4915177000301', 'Wartet auf den Prüfpunkt')
      await server.archive.sync()
      const fresh = (await admin.inject({ method: 'GET', url: '/api/archive/status?check=1' })).json()
      expect(fresh.timeliness.commitP99Ms).toEqual(expect.any(Number))
      expect(fresh.timeliness.commitLimitMs).toBe(1000)
      expect(fresh.pending).toBe(0)
      await new Promise((r) => setTimeout(r, 1100))
      const late = (await admin.inject({ method: 'GET', url: '/api/archive/status?check=1' })).json()
      expect(late.timeliness).toMatchObject({ overdue: true, checkpointLimitMs: 1000 })
      expect(late.timeliness.uncheckpointedMs).toBeGreaterThan(1000)
      expect((await admin.inject({ method: 'GET', url: '/api/audit?action=archive.timeliness_exceeded' })).json().items).toHaveLength(1)
      await server.archive.sync({ forceCheckpoint: true })
      const covered = (await admin.inject({ method: 'GET', url: '/api/archive/status?check=1' })).json()
      expect(covered.timeliness).toMatchObject({ overdue: false, uncheckpointedMs: 0 })
    } finally {
      await server.stop()
    }
  }, 60_000)
})
