import type { Executor } from '../../db/database.js'
import type { SecretBox } from '../../platform/crypto/secret-box.js'
import { getSetting, putSetting } from '../settings/settings.repo.js'

export type WhatsAppCredentials = {
  appSecret: string
  verifyToken: string
  accessToken: string
  phoneNumberId: string
  businessAccountId: string
  /** Graph base URL including the version; a function when known only after listen (simulator). */
  apiBaseUrl: string | (() => string)
  /** The Meta app's id, for uploads through the app (profile picture); optional. */
  appId?: string | undefined
}

/** Where the credentials in effect come from; environment variables always win. */
export type CredentialSource = 'environment' | 'database' | 'simulator'

/**
 * The Cloud API connection in effect. Everything that talks to Meta or checks Meta's signature
 * reads it at use time, so credentials saved by an admin take effect without a restart.
 */
export class WhatsAppConnection {
  constructor(
    private creds: WhatsAppCredentials,
    public source: CredentialSource,
    readonly messagesPerSecond: number,
  ) {}

  get appSecret() {
    return this.creds.appSecret
  }
  get verifyToken() {
    return this.creds.verifyToken
  }
  get accessToken() {
    return this.creds.accessToken
  }
  get phoneNumberId() {
    return this.creds.phoneNumberId
  }
  get appId(): string | undefined {
    return this.creds.appId
  }

  get businessAccountId() {
    return this.creds.businessAccountId
  }
  get apiBaseUrl(): string {
    const b = this.creds.apiBaseUrl
    return typeof b === 'string' ? b : b()
  }

  replace(creds: WhatsAppCredentials, source: CredentialSource): void {
    this.creds = creds
    this.source = source
  }
}

const KEY = 'whatsapp.credentials'
const PURPOSE = 'postfach:whatsapp-credentials:v1'

/** Stored credentials are one sealed JSON document; the database never holds them in clear. */
export async function saveCredentials(db: Executor, box: SecretBox, creds: Omit<WhatsAppCredentials, 'apiBaseUrl'> & { apiBaseUrl: string }, by: string | null): Promise<void> {
  await putSetting(db, KEY, { sealed: box.seal(JSON.stringify(creds), PURPOSE) }, by)
}

export async function loadCredentials(db: Executor, box: SecretBox): Promise<(WhatsAppCredentials & { apiBaseUrl: string }) | undefined> {
  const stored = await getSetting<{ sealed: string }>(db, KEY)
  return stored ? (JSON.parse(box.open(stored.sealed, PURPOSE)) as WhatsAppCredentials & { apiBaseUrl: string }) : undefined
}

/** Master key rotation: the stored credentials sealed again under the new key (false: none stored). */
export async function rewrapCredentials(db: Executor, from: SecretBox, to: SecretBox): Promise<boolean> {
  const stored = await getSetting<{ sealed: string }>(db, KEY)
  if (!stored) return false
  await putSetting(db, KEY, { sealed: to.seal(from.open(stored.sealed, PURPOSE), PURPOSE) }, null)
  return true
}
