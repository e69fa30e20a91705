import { createHmac } from 'node:crypto'
import type { Executor } from '../../db/database.js'
import type { SecretBox } from '../../platform/crypto/secret-box.js'
import { localYear } from '../privacy/deadlines.js'
import type { DataKeys } from './data-keys.js'
import { openPayload, type Sealed, sealPayload, isSealed } from './sealed-payload.js'

/** JSON keys under which the Cloud API names a customer: sender, recipient, contact, BSUID. */
const IDENTITY_KEYS = new Set(['wa_id', 'from', 'recipient_id', 'user_id', 'to', 'input'])

/**
 * Every customer identity a webhook or Graph exchange names (walks the whole JSON). Iterative:
 * a signed body nested thousands of levels deep is still valid JSON and must not overflow the stack.
 */
export function identitiesIn(body: unknown): string[] {
  const out = new Set<string>()
  const pending: Array<[unknown, string | undefined]> = [[body, undefined]]
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [v, key] = next
    if (typeof v === 'string') {
      if (key && IDENTITY_KEYS.has(key) && v.length > 0 && v.length <= 64) out.add(v)
    } else if (Array.isArray(v)) for (const x of v) pending.push([x, key])
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) pending.push([x, k])
  }
  return [...out]
}

/**
 * Seals journal payloads that name customers with their data keys (crypto-shredding) and opens
 * them again for the auditor, the export and the verifier. Payloads naming nobody stay plain.
 * The dedupe digest of a sealed payload is keyed, so the database holds no plain hash of it.
 */
export class JournalSealer {
  private readonly digestKey: Buffer

  constructor(
    readonly keys: DataKeys,
    box: SecretBox,
  ) {
    this.digestKey = box.deriveKey('postfach:journal-digest:v1')
  }

  digest(plain: Buffer): string {
    return createHmac('sha256', this.digestKey).update(plain).digest('hex')
  }

  /**
   * Makes or loads, in one go, the keys of every identity a group of payloads names, so that
   * sealing them one by one finds each key at hand (a group of webhooks from new customers would
   * otherwise make its keys a customer at a time: two statements each).
   */
  async prepare(tx: Executor, identities: string[][], at: string): Promise<void> {
    const all = [...new Set(identities.flat())]
    if (all.length > 1) await this.keys.keysFor(tx, all, localYear(at))
  }

  async seal(tx: Executor, plain: Buffer, identities: string[], at: string): Promise<Sealed | undefined> {
    if (identities.length === 0) return undefined
    return sealPayload(plain, await this.keys.keysFor(tx, identities, localYear(at)))
  }

  /** The payload as received; undefined when its keys were shredded. Plain entries come back as they are. */
  async open(db: Executor, stored: Buffer): Promise<{ payload: Buffer; salt: Buffer } | undefined> {
    if (!isSealed(stored)) return { payload: stored, salt: Buffer.alloc(0) }
    return openPayload(stored, (id) => this.keys.key(db, id))
  }
}
