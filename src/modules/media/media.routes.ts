import multipart from '@fastify/multipart'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { AppError, badRequest, notFound } from '../../platform/errors.js'
import { newId } from '../../platform/ids.js'
import { ALL_ROLES, STAFF } from '../../platform/http/access.js'
import { nowIso } from '../../platform/time.js'
import { MEDIA_LIMITS, storedFileName } from './media-limits.js'
import { journalMediaStored } from './media-record.js'
import type { MediaStore } from './media-store.js'

const MB = 1024 * 1024

const mediaSchema = z.object({ id: z.string(), mimeType: z.string(), size: z.number(), filename: z.string().nullable(), sha256: z.string() })

export const mediaRoutes: FastifyPluginAsync<{ db: Db; store: MediaStore }> = async (base, { db, store }) => {
  await base.register(multipart, { limits: { fileSize: 100 * MB, files: 1, fields: 4 } })
  const app = base.withTypeProvider<ZodTypeProvider>()

  app.post('/api/media', { config: { access: STAFF }, bodyLimit: 101 * MB, schema: { tags: ['media'], consumes: ['multipart/form-data'], response: { 201: mediaSchema } } }, async (request, reply) => {
    if (!request.isMultipart()) throw new AppError('media.not_multipart', 415, 'Upload the file as multipart/form-data in the field "file".')
    const file = await request.file()
    if (!file || file.fieldname !== 'file') throw badRequest('Expected one file in the field "file".')
    const mimeType = file.mimetype.split(';')[0]!.trim().toLowerCase()
    const limit = MEDIA_LIMITS[mimeType]
    if (!limit) throw new AppError('media.unsupported_type', 415, `WhatsApp does not accept ${mimeType}.`, { details: { accepted: Object.keys(MEDIA_LIMITS) } })
    const bytes = await file.toBuffer().catch((e: { code?: string }) => {
      if (e.code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError('media.too_large', 413, 'The file is larger than WhatsApp accepts.')
      throw e
    })
    if (bytes.length > limit) throw new AppError('media.too_large', 413, `${mimeType} may be at most ${Math.floor(limit / 1024)} KiB.`)
    if (bytes.length === 0) throw badRequest('The file is empty.')
    const sha256 = await store.put(bytes)
    const now = nowIso()
    const id = newId()
    const filename = file.filename?.slice(0, 240) || null
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto('media')
        .values({ id, direction: 'outbound', state: 'stored', mime_type: mimeType, size: bytes.length, sha256, expected_sha256: null, graph_media_id: null, graph_uploaded_at: null, last_error: null, created_at: now, updated_at: now })
        .execute()
      await journalMediaStored(tx, { mediaId: id, sha256, size: bytes.length, mimeType })
    })
    return reply.code(201).send({ id, mimeType, size: bytes.length, filename, sha256 })
  })

  app.get('/api/media/:id', { config: { access: ALL_ROLES }, schema: { tags: ['media'], params: z.object({ id: z.string().min(1).max(100) }) } }, async (request, reply) => {
    const row = await db.selectFrom('media').selectAll().where('id', '=', request.params.id).executeTakeFirst()
    if (!row) throw notFound('Media')
    if (row.state !== 'stored' || !row.sha256) throw new AppError('media.not_ready', 409, row.state === 'failed' ? `The download failed: ${row.last_error ?? 'unknown'}` : 'The media is still being downloaded.', { details: { state: row.state } })
    const bytes = await store.get(row.sha256)
    if (!bytes) throw notFound('Media file')
    return reply
      .type(row.mime_type)
      .header('content-disposition', `attachment; filename="${storedFileName(row.id, row.mime_type)}"`)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'private, max-age=3600')
      .send(bytes)
  })
}
