import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto'

/**
 * Signed checkpoints in the C2SP signed-note format (what Tessera, Go's sumdb and Sigstore use):
 *
 *   <origin>\n<tree size>\n<base64 root hash>\n
 *   \n
 *   — <key name> <base64(4-byte key id ‖ Ed25519 signature)>\n
 *
 * The signature covers the text including its final newline; the key id is the first 4 bytes of
 * SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key). An auditor verifies with the public key alone.
 */
const EM_DASH = '\u2014'
const ED25519_ALG = 0x01

export type Checkpoint = { origin: string; size: number; root: Buffer }

/** The raw 32-byte Ed25519 public key (the last 32 bytes of its SPKI encoding). */
export const rawPublicKey = (key: KeyObject): Buffer => key.export({ format: 'der', type: 'spki' }).subarray(-32)

export function keyId(name: string, publicKey: KeyObject): Buffer {
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([ED25519_ALG]), rawPublicKey(publicKey)]))
    .digest()
    .subarray(0, 4)
}

export function checkpointText(c: Checkpoint): string {
  if (!c.origin || /[\n\u2014]/.test(c.origin)) throw new Error('invalid origin')
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new Error('invalid size')
  if (c.root.length !== 32) throw new Error('a root is 32 bytes')
  return `${c.origin}\n${c.size}\n${c.root.toString('base64')}\n`
}

export function signCheckpoint(c: Checkpoint, key: { name: string; privateKey: KeyObject }): string {
  const text = checkpointText(c)
  const publicKey = createPublicKey(key.privateKey)
  const signature = sign(null, Buffer.from(text), key.privateKey)
  return `${text}\n${EM_DASH} ${key.name} ${Buffer.concat([keyId(key.name, publicKey), signature]).toString('base64')}\n`
}

/**
 * Parses and verifies a signed checkpoint with a known key: unknown keys' lines are ignored, the
 * note is rejected unless the known key verifies it (and if that key's line fails).
 */
export function verifyCheckpoint(note: string, key: { name: string; publicKey: KeyObject }): Checkpoint | undefined {
  const split = note.indexOf('\n\n')
  if (split < 0 || !note.endsWith('\n')) return undefined
  const text = note.slice(0, split + 1)
  const lines = text.split('\n').slice(0, -1)
  if (lines.length < 3) return undefined
  const [origin, sizeText, rootText] = lines as [string, string, string]
  if (!/^(0|[1-9]\d*)$/.test(sizeText)) return undefined
  const root = Buffer.from(rootText, 'base64')
  if (root.length !== 32 || root.toString('base64') !== rootText) return undefined
  const id = keyId(key.name, key.publicKey)
  let verified = false
  for (const line of note.slice(split + 2).split('\n').filter(Boolean)) {
    const m = new RegExp(`^${EM_DASH} (\\S+) ([A-Za-z0-9+/=]+)$`).exec(line)
    if (!m) return undefined
    const blob = Buffer.from(m[2]!, 'base64')
    if (m[1] !== key.name || blob.length < 5 || !blob.subarray(0, 4).equals(id)) continue
    if (!verify(null, Buffer.from(text), key.publicKey, blob.subarray(4))) return undefined
    verified = true
  }
  return verified ? { origin, size: Number(sizeText), root } : undefined
}

export function generateSigningKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519')
}

export const privateKeyFromPem = (pem: string): KeyObject => createPrivateKey(pem)
