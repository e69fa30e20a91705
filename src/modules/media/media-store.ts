import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'

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
}

export class FileMediaStore implements MediaStore {
  constructor(private readonly root: string) {}

  async put(bytes: Buffer): Promise<string> {
    const sha = createHash('sha256').update(bytes).digest('hex')
    const file = this.pathOf(sha)
    if (await this.has(sha)) return sha
    await fs.mkdir(path.dirname(file), { recursive: true })
    // Write aside and rename, so a crash never leaves a half file under the final name.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
    const handle = await fs.open(tmp, 'w', 0o600)
    try {
      await handle.writeFile(bytes)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.rename(tmp, file)
    return sha
  }

  async get(sha256: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.pathOf(sha256))
    } catch {
      return undefined
    }
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
