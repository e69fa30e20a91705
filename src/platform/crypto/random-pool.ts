import { randomBytes } from 'node:crypto'

/**
 * Random bytes for nonces, salts and ids, from a pool refilled 16 KiB at a time: every webhook
 * takes several, and one large read from the CSPRNG costs far less than many small ones (as
 * Node's own `randomUUID` cache does). Bytes handed out are wiped from the pool.
 */
let pool = Buffer.alloc(0)
export function pooledRandom(n: number): Buffer {
  if (n > 1024) return randomBytes(n)
  if (pool.length < n) pool = randomBytes(16 * 1024)
  const out = Buffer.from(pool.subarray(0, n))
  pool.fill(0, 0, n)
  pool = pool.subarray(n)
  return out
}
