import type { Executor } from '../../db/database.js'
import { getSetting } from '../settings/settings.repo.js'

/** WhatsApp's limit for a text message's body. */
export const TEXT_LIMIT = 4096

export const SIGN_WITH_NAME_KEY = 'outbound.sign_with_name'
export const readSignWithName = async (db: Executor): Promise<boolean> => (await getSetting<boolean>(db, SIGN_WITH_NAME_KEY)) === true

/**
 * A colleague's free-form text as the customer gets it when the company wants it signed: their
 * name in bold (WhatsApp's *bold*) on the first line. Stored and archived as sent.
 */
export function signedText(body: string, name: string): string {
  return `*${name.replaceAll('*', '')}*\n${body}`
}
