import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { pooledRandom } from './crypto/random-pool.js'

let lastMs = 0
let counter = 0
/**
 * A UUIDv7-style id (RFC 9562): 48-bit millisecond time, then a counter, then random bits, so ids
 * made by one process sort in the order they were made, even within one millisecond, and new rows
 * land at the end of primary-key indexes instead of at random pages.
 */
export function newId(): string {
  const ms = Date.now()
  counter = ms === lastMs ? counter + 1 : 0
  lastMs = ms
  const hex = ms.toString(16).padStart(12, '0') + '7' + (counter & 0xfff).toString(16).padStart(3, '0') + pooledRandom(8).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** A random secret for cookies and tokens: 32 bytes, base64url. */
export const newSecret = (): string => randomBytes(32).toString('base64url')

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex')

/** Constant-time string comparison (length leaks, content does not). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}
