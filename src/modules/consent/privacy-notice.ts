import type { Executor } from '../../db/database.js'
import type { ConversationRow } from '../../db/schema.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import type { MessageVault } from '../inbox/message-vault.js'
import { insertQueued } from '../outbound/send.service.js'
import { getSetting } from '../settings/settings.repo.js'
import type { CompanySettings, PrivacyNotice } from '../settings/settings.routes.js'

/** The notice's wording: controller, purpose and legal basis, Meta as processor, where the details are, objection. */
export function noticeText(company: CompanySettings, notice: PrivacyNotice): string {
  return (
    `Datenschutzhinweis: ${company.name} verarbeitet Ihre Nachrichten, um Ihr Anliegen zu bearbeiten ` +
    '(Art. 6 Abs. 1 lit. b DSGVO bei Anfragen zu Verträgen und Bestellungen, sonst lit. f – berechtigtes Interesse an der Beantwortung Ihrer Nachricht). ' +
    'WhatsApp wird dabei von Meta Platforms als Auftragsverarbeiter betrieben. ' +
    `Einzelheiten und Ihre Rechte: ${notice.url} (Version ${notice.version}). ` +
    'Werbung erhalten Sie nur mit Ihrer Einwilligung; widersprechen können Sie jederzeit mit STOP.'
  )
}

/**
 * GDPR-13/14: before the first answer in a conversation the customer started, the privacy notice
 * goes out as its own message, once per contact and notice version, and the delivery is recorded
 * (which version went to whom, in which message). Nothing when no notice is configured.
 */
export async function sendNoticeFirst(tx: Executor, vault: MessageVault, conversation: ConversationRow): Promise<void> {
  const notice = await getSetting<PrivacyNotice>(tx, 'privacy.notice')
  const company = await getSetting<CompanySettings>(tx, 'company')
  if (!notice || !company) return
  const sent = await tx
    .selectFrom('privacy_notice_deliveries')
    .select('id')
    .where('contact_id', '=', conversation.contact_id)
    .where('version', '=', notice.version)
    .executeTakeFirst()
  if (sent) return
  const message = await insertQueued(tx, vault, conversation, { type: 'text', content: { type: 'text', text: { body: noticeText(company, notice) } }, sentBy: null })
  await tx
    .insertInto('privacy_notice_deliveries')
    .values({ id: newId(), contact_id: conversation.contact_id, conversation_id: conversation.id, message_id: message.id, version: notice.version, created_at: nowIso() })
    .execute()
}
