import { createCipheriv, createDecipheriv, createHash } from 'node:crypto'
import { pooledRandom } from '../../platform/crypto/random-pool.js'
import type { DataKey } from './data-keys.js'

/**
 * A journal payload sealed for crypto-shredding. The payload is encrypted (AES-256-GCM) with a
 * fresh content key; the content key is split into XOR shares, one per person it names, each
 * encrypted with that person's data key. Destroying any one of those keys makes the payload
 * unreadable, so a webhook about two customers is erased with either of them.
 *
 *   "PFS2" | u32 header length | header JSON | iv(12) | tag(16) | ciphertext of (salt(32) ‖ payload)
 *   header: { k: [{ id, s: base64(iv ‖ tag ‖ encrypted share) }] }
 *
 * "PFS1", written before, has a u16 header length: it ran out at about 500 people, and one
 * webhook may batch a thousand updates. Both are read.
 *
 * The salt lives inside the ciphertext: the commitment SHA-256(salt ‖ payload) in the log proves
 * the payload to whoever is shown it, and reveals nothing once the keys are gone.
 */
const MAGIC = Buffer.from('PFS2')
const MAGIC_U16 = Buffer.from('PFS1')

const random = pooledRandom

export type Sealed = { stored: Buffer; keyIds: string[]; commitment: string }

const gcm = (key: Buffer, plaintext: Buffer, aad: string) => {
  const iv = random(12)
  const c = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad))
  const body = Buffer.concat([c.update(plaintext), c.final()])
  return Buffer.concat([iv, c.getAuthTag(), body])
}
const ungcm = (key: Buffer, sealed: Buffer, aad: string) => {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12)).setAAD(Buffer.from(aad))
  d.setAuthTag(sealed.subarray(12, 28))
  return Buffer.concat([d.update(sealed.subarray(28)), d.final()])
}

export const commitmentOf = (salt: Buffer, payload: Buffer): string => createHash('sha256').update(salt).update(payload).digest('hex')

export function sealPayload(payload: Buffer, keys: DataKey[]): Sealed {
  if (keys.length === 0) throw new Error('sealing needs at least one key')
  const contentKey = random(32)
  const shares = keys.slice(1).map(() => random(32))
  const last = Buffer.from(contentKey)
  for (const s of shares) for (let i = 0; i < 32; i++) last[i]! ^= s[i]!
  shares.unshift(last)
  const header = Buffer.from(JSON.stringify({ k: keys.map((k, i) => ({ id: k.id, s: gcm(k.key, shares[i]!, `share:${k.id}`).toString('base64') })) }))
  const salt = random(32)
  const length = Buffer.alloc(4)
  length.writeUInt32BE(header.length)
  return { stored: Buffer.concat([MAGIC, length, header, gcm(contentKey, Buffer.concat([salt, payload]), 'journal')]), keyIds: keys.map((k) => k.id), commitment: commitmentOf(salt, payload) }
}

export const isSealed = (stored: Uint8Array): boolean => {
  if (stored.length <= 6) return false
  const magic = Buffer.from(stored.subarray(0, 4))
  return magic.equals(MAGIC) || magic.equals(MAGIC_U16)
}

/** Where the header lies and where the encrypted payload starts, in either format. */
function layout(stored: Buffer): { header: Buffer; body: Buffer } {
  const wide = stored.subarray(0, 4).equals(MAGIC)
  const start = wide ? 8 : 6
  const end = start + (wide ? stored.readUInt32BE(4) : stored.readUInt16BE(4))
  return { header: stored.subarray(start, end), body: stored.subarray(end) }
}

/** The key ids a sealed payload needs. */
export function keyIdsOf(stored: Buffer): string[] {
  return (JSON.parse(layout(stored).header.toString('utf8')) as { k: { id: string }[] }).k.map((k) => k.id)
}

/** The payload and its salt; undefined when a key is gone (shredded). */
export async function openPayload(stored: Buffer, keyOf: (id: string) => Promise<Buffer | undefined>): Promise<{ payload: Buffer; salt: Buffer } | undefined> {
  const { header: headerBytes, body } = layout(stored)
  const header = JSON.parse(headerBytes.toString('utf8')) as { k: { id: string; s: string }[] }
  const contentKey = Buffer.alloc(32)
  for (const k of header.k) {
    const key = await keyOf(k.id)
    if (!key) return undefined
    const share = ungcm(key, Buffer.from(k.s, 'base64'), `share:${k.id}`)
    for (let i = 0; i < 32; i++) contentKey[i]! ^= share[i]!
  }
  const inner = ungcm(contentKey, body, 'journal')
  return { salt: inner.subarray(0, 32), payload: inner.subarray(32) }
}
