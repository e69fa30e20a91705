import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

/**
 * AES-256-GCM with the installation's master key, for secrets kept in the database (WhatsApp
 * credentials). Format: `v1:` + base64(iv ‖ tag ‖ ciphertext). The associated data names what the
 * secret is, so a ciphertext cannot be moved to another field.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes')
  }

  /** A separate key for another use (for example keyed hashes), derived so the master key never leaves. */
  deriveKey(label: string): Buffer {
    return createHmac('sha256', this.key).update(label).digest()
  }

  seal(plaintext: string, purpose: string): string {
    const iv = randomBytes(12)
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
  const file = o.keyFile ?? path.join(o.dataDir, 'master.key')
  if (!fs.existsSync(file)) {
    if (o.keyFile) throw new Error(`POSTFACH_MASTER_KEY_FILE: ${file} does not exist`)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
  }
  const content = fs.readFileSync(file)
  const text = content.toString('utf8').trim()
  for (const key of [Buffer.from(text, 'base64'), /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.alloc(0), content]) {
    if (key.length === 32) return key
  }
  throw new Error(`the master key in ${file} is not 32 bytes (base64, hex or raw)`)
}
