import type { FastifyPluginAsync } from 'fastify'
import type { Db } from '../../db/database.js'
import { unavailable } from '../../platform/errors.js'
import { ADMIN } from '../../platform/http/access.js'
import { nowIso } from '../../platform/time.js'
import type { JournalSealer } from '../archive/journal-sealer.js'
import type { MessageVault } from '../inbox/message-vault.js'
import type { Suppressions } from '../consent/consent.repo.js'
import type { MediaStore } from '../media/media-store.js'
import { audit } from './audit.js'
import { importSubject, readPackage } from './subject-import.js'

/** A data package of up to this size (messages and media of one person). */
const PACKAGE_LIMIT = 100 * 1024 * 1024

/**
 * `POST /api/contacts/import` (admin): the ZIP another Postfach's data export
 * (`GET /api/contacts/:id/export`) produced for a person who asked to move their data here
 * (GDPR-20). Answers 201 with what was taken over and what was not.
 */
export const subjectImportRoutes: FastifyPluginAsync<{ db: Db; store: MediaStore; sealer: JournalSealer; vault: MessageVault; suppressions: Suppressions; channelId: () => string | undefined; onConversationsChanged: (ids: string[]) => void }> = async (
  app,
  { db, store, sealer, vault, suppressions, channelId, onConversationsChanged },
) => {
  app.addContentTypeParser('application/zip', { parseAs: 'buffer', bodyLimit: PACKAGE_LIMIT }, (_req, body, done) => done(null, body))
  app.post('/api/contacts/import', { config: { access: ADMIN }, bodyLimit: PACKAGE_LIMIT, schema: { tags: ['privacy'] } }, async (request, reply) => {
    const { data, files } = readPackage(request.body as Buffer)
    const channel = channelId()
    if (!channel) throw unavailable('No WhatsApp number is configured to hold the conversation.')
    const summary = await db.transaction().execute(async (tx) => {
      const result = await importSubject(tx, { data, files, raw: Buffer.from(files['data.json']!), channelId: channel, store, sealer, vault, suppressions, now: nowIso() })
      await audit(tx, request, { action: 'contact.imported', target: `contact:${result.contactId}`, contactId: result.contactId, detail: { messages: result.messages, media: result.media, from: data.controller?.name ?? null } })
      return result
    })
    onConversationsChanged([summary.conversationId])
    return reply.code(201).send(summary)
  })
}
