import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'

export const newId = (): string => randomUUID()

/** A random secret for cookies and tokens: 32 bytes, base64url. */
export const newSecret = (): string => randomBytes(32).toString('base64url')

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex')

/** Constant-time string comparison (length leaks, content does not). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}
