import { createHmac, randomInt } from 'node:crypto'
import { Secret, TOTP } from 'otpauth'
import type { Executor } from '../../db/database.js'
import type { UserRow } from '../../db/schema.js'
import { SecretBox } from '../../platform/crypto/secret-box.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'

const ISSUER = 'Postfach'
const PERIOD_S = 30
/** How many recovery codes a person gets; each works once. */
const RECOVERY_CODE_COUNT = 10
/** No 0/o, 1/l/i: a code copied from paper must not be misread. */
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'

const SECRET_PURPOSE = (userId: string) => `totp-secret:${userId}`

/** A code as typed, without spaces: six digits from the app, or a recovery code (its dash optional, any case). */
const APP_CODE = /^\d{6}$/
const withoutSpaces = (code: string) => code.replace(/\s/g, '')
const normalizeRecoveryCode = (code: string) => withoutSpaces(code).toLowerCase().replaceAll('-', '')

/**
 * Two-factor login with an authenticator app (TOTP, RFC 6238: SHA-1, 6 digits, 30 s, as every app
 * understands) and one-time recovery codes. Secrets are sealed under a key derived from the
 * installation's root, so a database copy alone does not yield them and a master key rotation does
 * not touch them; recovery codes are kept as keyed hashes.
 */
export class TwoFactor {
  private readonly box: SecretBox
  private readonly codeKey: Buffer

  constructor(secretBox: SecretBox) {
    this.box = new SecretBox(secretBox.deriveKey('postfach:totp:v1'))
    this.codeKey = secretBox.deriveKey('postfach:recovery-codes:v1')
  }

  /** A new secret for the person to scan; kept as pending until a code from the app confirms it. */
  async begin(db: Executor, user: Pick<UserRow, 'id' | 'email'>): Promise<{ secret: string; uri: string }> {
    const totp = new TOTP({ issuer: ISSUER, label: user.email, secret: new Secret({ size: 20 }), period: PERIOD_S })
    await db.updateTable('users').set({ totp_pending: this.box.seal(totp.secret.base32, SECRET_PURPOSE(user.id)) }).where('id', '=', user.id).execute()
    return { secret: totp.secret.base32, uri: totp.toString() }
  }

  /**
   * Confirms the pending secret with a code from the app: from now on the second factor is required.
   * Returns the recovery codes (shown once), or null when the code does not match.
   */
  async confirm(db: Executor, user: UserRow, code: string, now = Date.now()): Promise<string[] | null> {
    if (!user.totp_pending) return null
    const step = this.matchingStep(this.box.open(user.totp_pending, SECRET_PURPOSE(user.id)), code, now)
    if (step === null) return null
    await db.updateTable('users').set({ totp_secret: user.totp_pending, totp_pending: null, totp_last_step: step, totp_enabled_at: nowIso() }).where('id', '=', user.id).execute()
    return this.replaceRecoveryCodes(db, user.id)
  }

  /**
   * Checks a second factor at login: a code from the app (each 30-second code works once; one step
   * of clock drift either way is accepted) or an unused recovery code, which is spent.
   */
  async verify(db: Executor, user: UserRow, code: string, now = Date.now()): Promise<'app' | 'recovery' | null> {
    if (!user.totp_secret) return null
    if (APP_CODE.test(withoutSpaces(code))) {
      const step = this.matchingStep(this.box.open(user.totp_secret, SECRET_PURPOSE(user.id)), code, now)
      if (step === null) return null
      // Atomic: of two logins racing with the same code, one wins.
      const used = await db
        .updateTable('users')
        .set({ totp_last_step: step })
        .where('id', '=', user.id)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst()
      return Number(used.numUpdatedRows) === 1 ? 'app' : null
    }
    const spent = await db
      .updateTable('recovery_codes')
      .set({ used_at: nowIso() })
      .where('user_id', '=', user.id)
      .where('code_hash', '=', this.hashCode(normalizeRecoveryCode(code)))
      .where('used_at', 'is', null)
      .executeTakeFirst()
    return Number(spent.numUpdatedRows) === 1 ? 'recovery' : null
  }

  /** New recovery codes; the old ones stop working. Shown once, as `abcde-fghjk`. */
  async replaceRecoveryCodes(db: Executor, userId: string): Promise<string[]> {
    await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute()
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join(''))
    const createdAt = nowIso()
    await db
      .insertInto('recovery_codes')
      .values(codes.map((c) => ({ id: newId(), user_id: userId, code_hash: this.hashCode(c), created_at: createdAt, used_at: null })))
      .execute()
    return codes.map((c) => `${c.slice(0, 5)}-${c.slice(5)}`)
  }

  async recoveryCodesLeft(db: Executor, userId: string): Promise<number> {
    const row = await db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow()
    return Number(row.n)
  }

  /** The time step the code belongs to (now, or one step before or after), or null. */
  private matchingStep(base32: string, code: string, now: number): number | null {
    const token = withoutSpaces(code)
    if (!APP_CODE.test(token)) return null
    const delta = new TOTP({ secret: Secret.fromBase32(base32), period: PERIOD_S }).validate({ token, timestamp: now, window: 1 })
    return delta === null ? null : Math.floor(now / 1000 / PERIOD_S) + delta
  }

  private hashCode(normalized: string): string {
    return createHmac('sha256', this.codeKey).update(normalized).digest('hex')
  }
}

/** Two-factor login off (by the person, by an admin or with the CLI for someone who lost their phone). */
export async function disableTwoFactor(db: Executor, userId: string): Promise<void> {
  await db.updateTable('users').set({ totp_secret: null, totp_pending: null, totp_last_step: null, totp_enabled_at: null }).where('id', '=', userId).execute()
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute()
}
