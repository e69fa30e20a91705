import { createHmac, timingSafeEqual } from 'node:crypto'

/** `X-Hub-Signature-256` value for a raw body: `sha256=<hex HMAC-SHA256(appSecret, body)>`. */
export const signBody = (appSecret: string, body: Buffer | string): string =>
  'sha256=' + createHmac('sha256', appSecret).update(body).digest('hex')

/** Checks Meta's signature over the exact bytes received, in constant time. */
export function isValidSignature(appSecret: string, body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false
  const expected = Buffer.from(signBody(appSecret, body).slice(7), 'hex')
  const given = Buffer.from(header.slice(7), 'hex')
  return timingSafeEqual(expected, given)
}
