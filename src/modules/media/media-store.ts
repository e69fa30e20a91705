import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Db } from '../../db/database.js'
import type { SecretBox } from '../../platform/crypto/secret-box.js'
import { getSetting, putSetting } from '../settings/settings.repo.js'

/**
 * Where media bytes live, addressed by their SHA-256, so a file stored twice is stored once and
 * its name proves its content. The file-system store is the default; an S3 store can implement
 * the same three methods.
 */
export interface MediaStore {
  put(bytes: Buffer): Promise<string>
  get(sha256: string): Promise<Buffer | undefined>
  has(sha256: string): Promise<boolean>
  /** Removes the bytes (an erasure); absent bytes are not an error. */
  delete(sha256: string): Promise<void>
  /** Encrypts a file written before media were encrypted at rest; true when it did. */
  sealLegacy?(sha256: string): Promise<boolean>
}

/** A stored file's bytes no longer open (changed on disk): the verifier names it. */
export class MediaChangedError extends Error {
  constructor(readonly sha256: string) {
    super(`media file ${sha256} no longer opens: its bytes were changed`)
  }
}

/** An encrypted media file: "PFM1" ‖ iv(12) ‖ tag(16) ‖ AES-256-GCM ciphertext, the name (SHA-256 of the plaintext) as associated data. */
const MAGIC = Buffer.from('PFM1')

/**
 * Media files on disk, encrypted at rest (GDPR-32) with a key derived from the master key when one
 * is given, so a copy of `DATA_DIR/media` without the key shows nothing. Files written before
 * encryption (no marker) are read as they are until the start-up pass seals them
 * (`sealLegacyMedia`). An erased file is deleted, as before.
 */
export class FileMediaStore implements MediaStore {
  constructor(
    private readonly root: string,
    private readonly key?: Buffer,
  ) {}

  private seal(sha: string, bytes: Buffer): Buffer {
    if (!this.key) return bytes
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(sha))
    const body = Buffer.concat([c.update(bytes), c.final()])
    return Buffer.concat([MAGIC, iv, c.getAuthTag(), body])
  }

  private open(sha: string, stored: Buffer): Buffer {
    if (!stored.subarray(0, 4).equals(MAGIC)) return stored
    if (!this.key) throw new MediaChangedError(sha) // encrypted, and no key at hand: cannot be shown as it was stored
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, stored.subarray(4, 16)).setAAD(Buffer.from(sha))
      d.setAuthTag(stored.subarray(16, 32))
      return Buffer.concat([d.update(stored.subarray(32)), d.final()])
    } catch {
      throw new MediaChangedError(sha)
    }
  }

  async put(bytes: Buffer): Promise<string> {
    const sha = createHash('sha256').update(bytes).digest('hex')
    if (await this.has(sha)) return sha
    await this.write(sha, this.seal(sha, bytes))
    return sha
  }

  /**
   * Encrypts a file stored before encryption at rest, in place (written aside, then renamed over
   * it). Only a file whose bytes still match its name: a changed one stays as it is, for the
   * verifier to name.
   */
  async sealLegacy(sha256: string): Promise<boolean> {
    if (!this.key) return false
    const stored = await fs.readFile(this.pathOf(sha256)).catch(() => undefined)
    if (!stored || stored.subarray(0, 4).equals(MAGIC) || createHash('sha256').update(stored).digest('hex') !== sha256) return false
    await this.write(sha256, this.seal(sha256, stored))
    return true
  }

  /** Writes aside and renames, so a crash never leaves a half file under the final name. */
  private async write(sha: string, contents: Buffer): Promise<void> {
    const file = this.pathOf(sha)
    await fs.mkdir(path.dirname(file), { recursive: true })
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
    const handle = await fs.open(tmp, 'w', 0o600)
    try {
      await handle.writeFile(contents)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.rename(tmp, file)
  }

  /** The bytes as put; undefined when absent. Throws MediaChangedError when the file no longer opens. */
  async get(sha256: string): Promise<Buffer | undefined> {
    const stored = await fs.readFile(this.pathOf(sha256)).catch(() => undefined)
    return stored && this.open(sha256, stored)
  }

  async has(sha256: string): Promise<boolean> {
    return fs.access(this.pathOf(sha256)).then(
      () => true,
      () => false,
    )
  }

  async delete(sha256: string): Promise<void> {
    await fs.rm(this.pathOf(sha256), { force: true })
  }

  private pathOf(sha: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new Error('not a sha256')
    return path.join(this.root, sha.slice(0, 2), sha.slice(2, 4), sha)
  }
}

/** The installation's media store: `DATA_DIR/media`, encrypted with a key derived from the master key's root (unchanged by rotation). */
export const mediaStoreFor = (dataDir: string, box: Pick<SecretBox, 'deriveKey'>) => new FileMediaStore(path.join(dataDir, 'media'), box.deriveKey('postfach:media-files:v1'))

/**
 * Encrypts the media files stored before media were encrypted at rest, once per installation (a
 * setting remembers that the pass completed, so later starts do not read every file again).
 * Runs in the background after start; returns how many files it sealed.
 */
export async function sealLegacyMedia(db: Db, store: MediaStore, batch = 200): Promise<number> {
  if (!store.sealLegacy || (await getSetting<boolean>(db, DONE))) return 0
  let sealed = 0
  for (let cursor = ''; ; ) {
    const rows = await db.selectFrom('media').select(['id', 'sha256']).where('id', '>', cursor).where('sha256', 'is not', null).orderBy('id').limit(batch).execute()
    if (rows.length === 0) break
    for (const r of rows) if (await store.sealLegacy(r.sha256!)) sealed++
    cursor = rows.at(-1)!.id
  }
  await putSetting(db, DONE, true, null)
  return sealed
}
const DONE = 'media.sealed_at_rest'
