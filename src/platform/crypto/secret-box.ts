import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pooledRandom } from './random-pool.js'

/**
 * AES-256-GCM with the installation's master key, for secrets kept in the database (WhatsApp
 * credentials). Format: `v1:` + base64(iv ‖ tag ‖ ciphertext). The associated data names what the
 * secret is, so a ciphertext cannot be moved to another field.
 */
export class SecretBox {
  constructor(
    private readonly key: Buffer,
    /** What keyed hashes are derived from: stays the same when the master key is rotated. */
    readonly root: Buffer = key,
  ) {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes')
  }

  /** A separate key for another use (for example keyed hashes), derived so the root never leaves. */
  deriveKey(label: string): Buffer {
    return createHmac('sha256', this.root).update(label).digest()
  }

  seal(plaintext: string, purpose: string): string {
    const iv = pooledRandom(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(Buffer.from(purpose))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`
  }

  open(sealed: string, purpose: string): string {
    if (!sealed.startsWith('v1:')) throw new Error('unknown secret format')
    const raw = Buffer.from(sealed.slice(3), 'base64')
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12))
    decipher.setAAD(Buffer.from(purpose))
    decipher.setAuthTag(raw.subarray(12, 28))
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
  }
}

/**
 * The master key: from `POSTFACH_MASTER_KEY_FILE` (32 bytes as base64 or hex, or raw), else
 * `DATA_DIR/master.key`, created at first start with mode 0600. Losing it loses the secrets it
 * protects, so backups must include it (README "Backups").
 */
export function loadMasterKey(o: { keyFile: string | undefined; dataDir: string }): Buffer {
  const file = masterKeyPath(o)
  if (!fs.existsSync(file)) {
    if (o.keyFile) throw new Error(`POSTFACH_MASTER_KEY_FILE: ${file} does not exist`)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
  }
  return parseKeyFile(file)
}

export const masterKeyPath = (o: { keyFile: string | undefined; dataDir: string }) => o.keyFile ?? path.join(o.dataDir, 'master.key')

export function parseKeyFile(file: string): Buffer {
  const content = fs.readFileSync(file)
  const text = content.toString('utf8').trim()
  for (const key of [Buffer.from(text, 'base64'), /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.alloc(0), content]) {
    if (key.length === 32) return key
  }
  throw new Error(`the master key in ${file} is not 32 bytes (base64, hex or raw)`)
}

const ROOT_PURPOSE = 'postfach:derivation-root:v1'
export const rootPath = (dataDir: string) => path.join(dataDir, 'key-root.sealed')

/**
 * The master key with its derivation root. Keyed hashes (suppression list, customer references,
 * journal digests) must not change when the master key is rotated, so they are derived from a
 * root secret that is kept sealed under the master key in `DATA_DIR/key-root.sealed`; at first
 * start the root is the master key itself, so nothing derived before changes.
 */
export function loadSecretBox(o: { keyFile: string | undefined; dataDir: string }): SecretBox {
  const key = loadMasterKey(o)
  const file = rootPath(o.dataDir)
  if (!fs.existsSync(file)) {
    fs.mkdirSync(o.dataDir, { recursive: true })
    writeAtomically(file, new SecretBox(key).seal(key.toString('base64'), ROOT_PURPOSE))
  }
  const root = Buffer.from(new SecretBox(key).open(fs.readFileSync(file, 'utf8').trim(), ROOT_PURPOSE), 'base64')
  return new SecretBox(key, root)
}

/** The same root under a new master key (rotation); the caller re-wraps what the old key sealed. */
export function sealRoot(dataDir: string, box: SecretBox): void {
  writeAtomically(rootPath(dataDir), box.seal(box.root.toString('base64'), ROOT_PURPOSE))
}

export function writeAtomically(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, `${content}\n`, { mode: 0o600 })
  fs.renameSync(tmp, file)
}
