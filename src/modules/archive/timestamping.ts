import { createHash, randomBytes } from 'node:crypto'
import type { Db } from '../../db/database.js'
import { nowIso } from '../../platform/time.js'

/**
 * RFC 3161 time stamps over checkpoints (ARCH-4): proof from an independent time-stamping
 * authority that a checkpoint existed at a time, so that not even the holder of the signing key
 * can later issue a different history for the past. The request is small DER, built here; the
 * response is stored exactly as received, and auditors check it with `openssl ts -verify`.
 */
const der = (tag: number, body: Buffer): Buffer => {
  const n = body.length
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff])
  return Buffer.concat([Buffer.from([tag]), len, body])
}
const SEQUENCE = 0x30
const SHA256_ALGORITHM = der(SEQUENCE, Buffer.from('0609608648016503040201' + '0500', 'hex')) // OID 2.16.840.1.101.3.4.2.1, NULL

export function timeStampRequest(digest: Buffer, nonce: Buffer): Buffer {
  const positiveNonce = nonce[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), nonce]) : nonce
  return der(SEQUENCE, Buffer.concat([
    Buffer.from([0x02, 0x01, 0x01]), // version 1
    der(SEQUENCE, Buffer.concat([SHA256_ALGORITHM, der(0x04, digest)])), // messageImprint
    der(0x02, positiveNonce),
    Buffer.from([0x01, 0x01, 0xff]), // certReq: the TSA includes its certificate
  ]))
}

/** Reads a DER header at `at`: the content's start and length. */
function header(b: Buffer, at: number): { start: number; length: number } {
  const first = b[at + 1]!
  if (first < 0x80) return { start: at + 2, length: first }
  const bytes = first & 0x7f
  let length = 0
  for (let i = 0; i < bytes; i++) length = length * 256 + b[at + 2 + i]!
  return { start: at + 2 + bytes, length }
}

/** The PKIStatus of a TimeStampResp (0 granted, 1 granted with modifications). */
export function responseStatus(resp: Buffer): number {
  if (resp[0] !== SEQUENCE) throw new Error('not a TimeStampResp')
  const outer = header(resp, 0)
  if (resp[outer.start] !== SEQUENCE) throw new Error('no PKIStatusInfo')
  const info = header(resp, outer.start)
  if (resp[info.start] !== 0x02) throw new Error('no PKIStatus')
  const status = header(resp, info.start)
  return resp.readUIntBE(status.start, status.length)
}

export const noteDigest = (note: string): Buffer => createHash('sha256').update(note).digest()

/** Asks the TSA to stamp a checkpoint note; returns the response if it was granted for this note. */
export async function requestTimestamp(tsaUrl: string, note: string): Promise<Buffer> {
  const digest = noteDigest(note)
  const nonce = randomBytes(8)
  const res = await fetch(tsaUrl, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: new Uint8Array(timeStampRequest(digest, nonce)), signal: AbortSignal.timeout(15_000) })
  if (!res.ok) throw new Error(`the time-stamping authority answered ${res.status}`)
  const resp = Buffer.from(await res.arrayBuffer())
  const status = responseStatus(resp)
  if (status > 1) throw new Error(`the time-stamping authority refused (status ${status})`)
  // The token carries our imprint and nonce; anything else is not an answer to this request.
  if (!resp.includes(digest) || !resp.includes(nonce)) throw new Error('the time stamp is not for this checkpoint')
  return resp
}

/** Stamps every checkpoint that has no time stamp yet (oldest first, a few per run). */
export async function anchorCheckpoints(db: Db, tsaUrl: string, limit = 20): Promise<number> {
  const pending = await db
    .selectFrom('archive_checkpoints as c')
    .leftJoin('archive_timestamps as t', 't.checkpoint_size', 'c.size')
    .select(['c.size', 'c.note'])
    .where('t.checkpoint_size', 'is', null)
    .orderBy('c.size')
    .limit(limit)
    .execute()
  for (const c of pending) {
    const response = await requestTimestamp(tsaUrl, c.note)
    await db.insertInto('archive_timestamps').values({ checkpoint_size: Number(c.size), tsa_url: tsaUrl, response, created_at: nowIso() }).onConflict((oc) => oc.column('checkpoint_size').doNothing()).execute()
  }
  return pending.length
}
