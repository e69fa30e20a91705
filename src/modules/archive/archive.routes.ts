import type { FastifyPluginAsync } from 'fastify'
import { sql } from 'kysely'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import type { Role } from '../../db/schema.js'
import { AppError, badRequest, notFound } from '../../platform/errors.js'
import { ALL_ROLES } from '../../platform/http/access.js'
import { type ArchiveLog, latestCheckpoint } from './archive-log.js'
import { keyId, rawPublicKey } from './checkpoint.js'
import { leafHash } from './merkle.js'
import type { ArchiveKey } from './signing-key.js'
import type { ArchiveWatch } from './watch.js'
import { storedConsistencyProof, storedInclusionProof, storedSize } from './tree-store.js'

/** Proofs name the log's entries; they are for the people who check the archive. */
const ARCHIVE_READERS: readonly Role[] = ['admin', 'auditor']

const hex = (b: Buffer) => b.toString('hex')

export type ArchiveRoutesOptions = { db: Db; log: ArchiveLog; keyPair: ArchiveKey; watch: ArchiveWatch }

/**
 * What an auditor's tools need to check the archive without trusting Postfach (RFC 6962 proofs
 * against C2SP signed checkpoints): the latest checkpoint, the public key, inclusion proofs for
 * messages and consistency proofs between tree sizes.
 */
export const archiveRoutes: FastifyPluginAsync<ArchiveRoutesOptions> = async (base, { db, log, keyPair, watch }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()

  /** The latest checkpoint; when `covering` is beyond it, the log is brought up to date and signed first. */
  const checkpointCovering = async (covering = 1) => {
    const latest = await latestCheckpoint(db)
    if (latest && latest.size >= covering) return latest
    await log.sync({ forceCheckpoint: true })
    return latestCheckpoint(db)
  }

  app.get('/api/archive/checkpoint', { config: { access: ALL_ROLES }, schema: { tags: ['archive'], summary: 'The latest signed checkpoint (C2SP signed note)' } }, async (_request, reply) => {
    const checkpoint = await checkpointCovering()
    if (!checkpoint) throw new AppError('archive.empty', 404, 'The archive has no entries yet.')
    return reply.type('text/plain; charset=utf-8').send(checkpoint.note)
  })

  app.get(
    '/api/archive/public-key',
    {
      config: { access: ALL_ROLES },
      schema: {
        tags: ['archive'],
        summary: 'The Ed25519 key that signs checkpoints',
        response: { 200: z.object({ algorithm: z.literal('Ed25519'), keyName: z.string(), keyId: z.string(), publicKey: z.string().describe('raw 32 bytes, base64'), verifierKey: z.string().describe('C2SP note verifier key'), pem: z.string() }) },
      },
    },
    async () => {
      const raw = rawPublicKey(keyPair.publicKey)
      return {
        algorithm: 'Ed25519' as const,
        keyName: keyPair.name,
        keyId: hex(keyId(keyPair.name, keyPair.publicKey)),
        publicKey: raw.toString('base64'),
        verifierKey: `${keyPair.name}+${hex(keyId(keyPair.name, keyPair.publicKey))}+${Buffer.concat([Buffer.from([0x01]), raw]).toString('base64')}`,
        pem: keyPair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      }
    },
  )

  app.get(
    '/api/archive/proof/inclusion',
    {
      config: { access: ARCHIVE_READERS },
      schema: {
        tags: ['archive'],
        summary: 'Inclusion proof of a message (or a log entry) against the latest checkpoint',
        querystring: z.object({ messageId: z.string().min(1).max(100).optional(), leafIndex: z.coerce.number().int().min(0).optional() }),
        response: {
          200: z.object({ leafIndex: z.number(), treeSize: z.number(), leafHash: z.string(), leafData: z.string().describe('base64 of the leaf bytes'), path: z.array(z.string()), rootHash: z.string(), checkpoint: z.string() }),
        },
      },
    },
    async (request) => {
      const { messageId, leafIndex } = request.query
      if ((messageId === undefined) === (leafIndex === undefined)) throw badRequest('Give either messageId or leafIndex.')
      const leaf = messageId !== undefined ? await leafOfMessage(db, messageId) : await db.selectFrom('archive_leaves').select(['idx', 'leaf_data']).where('idx', '=', leafIndex!).executeTakeFirst()
      if (!leaf) {
        if (leafIndex !== undefined) throw notFound('Log entry')
        await log.sync()
        const later = await leafOfMessage(db, messageId!)
        if (!later) throw new AppError('archive.pending', 409, 'The message is not in the archive yet (it has not been sent or received).')
        return proofFor(later)
      }
      return proofFor(leaf)
    },
  )

  const proofFor = async (leaf: { idx: number; leaf_data: Buffer }) => {
    const idx = Number(leaf.idx)
    const checkpoint = await checkpointCovering(idx + 1)
    if (!checkpoint) throw new AppError('archive.pending', 409, 'The entry is not covered by a checkpoint yet.')
    const path = await storedInclusionProof(db, idx, checkpoint.size)
    return { leafIndex: idx, treeSize: checkpoint.size, leafHash: hex(leafHash(leaf.leaf_data)), leafData: Buffer.from(leaf.leaf_data).toString('base64'), path: path.map(hex), rootHash: checkpoint.rootHash, checkpoint: checkpoint.note }
  }

  app.get(
    '/api/archive/proof/consistency',
    {
      config: { access: ARCHIVE_READERS },
      schema: {
        tags: ['archive'],
        summary: 'Consistency proof between two tree sizes (e.g. two checkpoints)',
        querystring: z.object({ from: z.coerce.number().int().min(1), to: z.coerce.number().int().min(1) }),
        response: { 200: z.object({ from: z.number(), to: z.number(), path: z.array(z.string()) }) },
      },
    },
    async (request) => {
      const { from, to } = request.query
      if (from > to) throw badRequest('from must not be larger than to.')
      const latest = await latestCheckpoint(db)
      if (!latest || to > latest.size) throw badRequest(`to must not exceed the latest checkpoint's size (${latest?.size ?? 0}).`, { latest: latest?.size ?? 0 })
      return { from, to, path: (await storedConsistencyProof(db, from, to)).map(hex) }
    },
  )

  app.get(
    '/api/archive/status',
    {
      config: { access: ARCHIVE_READERS },
      schema: {
        tags: ['archive'],
        summary: "The archive's state: log size, latest checkpoint, entries waiting, and the continuous verifier's result",
        querystring: z.object({ check: z.enum(['0', '1']).default('0').describe('1: run the verifier now') }),
        response: {
          200: z.object({
            size: z.number(),
            pending: z.number().describe('journal entries not yet in the log'),
            latestCheckpoint: z.object({ size: z.number(), rootHash: z.string(), createdAt: z.string() }).nullable(),
            integrity: z.object({ ok: z.boolean(), checkedAt: z.string().nullable(), provenSize: z.number(), breachId: z.string().nullable(), problems: z.array(z.object({ code: z.string(), leafIndex: z.number().optional(), journalSeq: z.number().optional(), checkpointSize: z.number().optional(), from: z.number().optional(), to: z.number().optional(), size: z.number().optional(), previous: z.number().optional(), kind: z.string().optional(), node: z.string().optional(), problem: z.string() })) }),
            keyName: z.string(),
            timeliness: z.object({ uncheckpointedMs: z.number(), checkpointLimitMs: z.number(), commitP99Ms: z.number().nullable(), commitLimitMs: z.number(), overdue: z.boolean() }),
          }),
        },
      },
    },
    async (request) => {
      const integrity = request.query.check === '1' ? await watch.check() : watch.status
      const latest = await latestCheckpoint(db)
      const size = await storedSize(db)
      const lastSeq = size ? Number((await db.selectFrom('archive_leaves').select('journal_seq').where('idx', '=', size - 1).executeTakeFirstOrThrow()).journal_seq) : 0
      const pending = await db.selectFrom('journal').select(sql<number>`count(*)`.as('n')).where('seq', '>', lastSeq).executeTakeFirstOrThrow()
      return {
        size,
        pending: Number(pending.n),
        latestCheckpoint: latest ? { size: latest.size, rootHash: latest.rootHash, createdAt: latest.createdAt } : null,
        // Message and media ids stay out: the status is shown on every admin screen.
        integrity: { ...integrity, problems: integrity.problems.map(({ mediaId: _m, messageId: _x, ...p }) => p) },
        keyName: keyPair.name,
        timeliness: watch.timeliness,
      }
    },
  )

  app.get(
    '/api/archive/checkpoints',
    {
      config: { access: ARCHIVE_READERS },
      schema: {
        tags: ['archive'],
        summary: 'Every checkpoint issued, newest first',
        querystring: z.object({ before: z.coerce.number().int().min(1).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: z.object({ items: z.array(z.object({ size: z.number(), rootHash: z.string(), note: z.string(), createdAt: z.string() })), nextBefore: z.number().nullable() }) },
      },
    },
    async (request) => {
      const { before, limit } = request.query
      let q = db.selectFrom('archive_checkpoints').select(['size', 'root_hash', 'note', 'created_at']).orderBy('size', 'desc').limit(limit + 1)
      if (before !== undefined) q = q.where('size', '<', before)
      const rows = await q.execute()
      const page = rows.slice(0, limit)
      return {
        items: page.map((r) => ({ size: Number(r.size), rootHash: r.root_hash, note: r.note, createdAt: r.created_at })),
        nextBefore: rows.length > limit ? Number(page.at(-1)!.size) : null,
      }
    },
  )
}

/**
 * A message's log entry: the webhook that brought it (inbound), the Graph response that accepted
 * it (outbound), or, for a send whose response was lost, the first status webhook that named it.
 */
async function leafOfMessage(db: Db, messageId: string): Promise<{ idx: number; leaf_data: Buffer } | undefined> {
  const message = await db.selectFrom('messages').select(['journal_seq', 'wamid']).where('id', '=', messageId).executeTakeFirst()
  if (!message) throw notFound('Message')
  let seq = message.journal_seq
  if (seq === null && message.wamid) {
    const status = await db.selectFrom('message_statuses').select('journal_seq').where('wamid', '=', message.wamid).orderBy('journal_seq').limit(1).executeTakeFirst()
    seq = status?.journal_seq ?? null
  }
  if (seq === null) return undefined
  return db.selectFrom('archive_leaves').select(['idx', 'leaf_data']).where('journal_seq', '=', Number(seq)).executeTakeFirst()
}
