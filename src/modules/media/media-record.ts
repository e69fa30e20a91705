import type { Executor } from '../../db/database.js'
import { appendEntries } from '../journal/journal.repo.js'

/**
 * Journals that media bytes were stored: the archive's leaf for this entry commits to the file's
 * digest, so `postfach archive verify` notices a changed or missing file (GOBD-3). Runs in the
 * transaction that marks the media stored.
 */
export async function journalMediaStored(tx: Executor, m: { mediaId: string; sha256: string; size: number; mimeType: string }): Promise<void> {
  const [entry] = await appendEntries(tx, 'media.stored', [Buffer.from(JSON.stringify({ mediaId: m.mediaId, sha256: m.sha256, size: m.size, mimeType: m.mimeType }))])
  await tx.updateTable('media').set({ journal_seq: entry!.seq }).where('id', '=', m.mediaId).execute()
}
