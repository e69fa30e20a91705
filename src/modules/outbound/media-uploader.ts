import type { Db } from '../../db/database.js'
import { HOUR, nowIso } from '../../platform/time.js'
import { storedFileName } from '../media/media-limits.js'
import type { MediaStore } from '../media/media-store.js'
import type { GraphClient } from '../whatsapp/graph-client.js'

/** Meta keeps uploads 30 days; re-upload a day early to be safe. */
const GRAPH_MEDIA_TTL_MS = 29 * 24 * HOUR

/** Uploads our stored media to the Cloud API when a send needs it, and remembers the id. */
export class MediaUploader {
  constructor(
    private readonly db: Db,
    private readonly store: MediaStore,
    private readonly graph: GraphClient,
  ) {}

  async graphIdFor(mediaId: string, phoneNumberId: string): Promise<string> {
    const row = await this.db.selectFrom('media').selectAll().where('id', '=', mediaId).executeTakeFirstOrThrow()
    if (row.graph_media_id && row.graph_uploaded_at && Date.now() - Date.parse(row.graph_uploaded_at) < GRAPH_MEDIA_TTL_MS) {
      return row.graph_media_id
    }
    const bytes = row.sha256 ? await this.store.get(row.sha256) : undefined
    if (!bytes) throw new Error(`media ${mediaId} has no stored bytes`)
    const { id } = await this.graph.uploadMedia(phoneNumberId, { bytes, mimeType: row.mime_type, filename: storedFileName(row.id, row.mime_type) })
    await this.db.updateTable('media').set({ graph_media_id: id, graph_uploaded_at: nowIso(), updated_at: nowIso() }).where('id', '=', mediaId).execute()
    return id
  }
}
