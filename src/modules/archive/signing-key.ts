import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { generateSigningKey, rawPublicKey } from './checkpoint.js'

export type ArchiveKey = {
  /** The log's origin line and the signature's key name, derived from the public key so it is stable and unique per installation. */
  name: string
  privateKey: KeyObject
  publicKey: KeyObject
}

export const originOf = (publicKey: KeyObject): string => `postfach.archive/${createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, 16)}`

/**
 * The checkpoint signing key: from `POSTFACH_ARCHIVE_KEY_FILE` (PKCS#8 PEM), else
 * `DATA_DIR/archive-signing.key`, created at first start with mode 0600. It never leaves the
 * machine; auditors get only the public key.
 */
export function loadArchiveKey(o: { keyFile: string | undefined; dataDir: string }): ArchiveKey {
  const file = o.keyFile ?? path.join(o.dataDir, 'archive-signing.key')
  if (!fs.existsSync(file)) {
    if (o.keyFile) throw new Error(`POSTFACH_ARCHIVE_KEY_FILE: ${file} does not exist`)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const { privateKey } = generateSigningKey()
    try {
      fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e // another instance made it first
    }
  }
  const privateKey = createPrivateKey(fs.readFileSync(file))
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`the archive key in ${file} is not an Ed25519 key`)
  const publicKey = createPublicKey(privateKey)
  return { name: originOf(publicKey), privateKey, publicKey }
}
