import { createHash } from 'node:crypto'
import type { Db } from '../../db/database.js'
import type { JobHandler } from '../../platform/jobs/job-runner.js'
import { nowIso } from '../../platform/time.js'
import type { GraphClient } from '../whatsapp/graph-client.js'
import { MEDIA_DOWNLOAD_JOB } from '../whatsapp/inbound-projector.js'
import { journalMediaStored } from './media-record.js'
import type { MediaStore } from './media-store.js'

/**
 * Downloads inbound media into our store: GET media id → short-lived URL → bytes (both with the
 * token), then checks size and Meta's SHA-256 before storing. Webhook media ids expire after
 * 7 days, so this runs at once and retries with backoff.
 */
export function mediaDownloadJob(db: Db, graph: GraphClient, store: MediaStore, onStored: (mediaId: string) => void = () => {}): JobHandler {
  return {
    kind: MEDIA_DOWNLOAD_JOB,
    maxAttempts: 12,
    async run(payload) {
      const mediaId = String(payload.mediaId)
      const row = await db.selectFrom('media').selectAll().where('id', '=', mediaId).executeTakeFirst()
      if (!row || row.state === 'stored' || !row.graph_media_id) return
      const info = await graph.getMedia(row.graph_media_id)
      const bytes = await graph.download(info.url)
      const expectedSize = Number(info.file_size)
      if (Number.isFinite(expectedSize) && expectedSize > 0 && bytes.length !== expectedSize) {
        throw new Error(`size mismatch: got ${bytes.length}, Meta says ${expectedSize}`)
      }
      const expected = row.expected_sha256 ?? info.sha256
      if (expected && !digestMatches(bytes, expected)) throw new Error('sha256 mismatch')
      const sha256 = await store.put(bytes)
      const mimeType = info.mime_type || row.mime_type
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('media').set({ state: 'stored', sha256, size: bytes.length, mime_type: mimeType, last_error: null, updated_at: nowIso() }).where('id', '=', mediaId).execute()
        await journalMediaStored(tx, { mediaId, sha256, size: bytes.length, mimeType })
      })
      onStored(mediaId)
    },
    async onGiveUp(payload, error) {
      await db.updateTable('media').set({ state: 'failed', last_error: error, updated_at: nowIso() }).where('id', '=', String(payload.mediaId)).execute()
    },
  }
}

/** Meta gives the digest base64 in webhooks and hex elsewhere; accept either. */
function digestMatches(bytes: Buffer, expected: string): boolean {
  const digest = createHash('sha256').update(bytes)
  const d = digest.digest()
  return d.toString('base64') === expected || d.toString('hex') === expected.toLowerCase()
}
