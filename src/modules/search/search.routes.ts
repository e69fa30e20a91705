import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import type { MessageVault } from '../inbox/message-vault.js'
import { narrowedTo } from '../privacy/team-access.js'
import { STAFF } from '../../platform/http/access.js'
import { messageText } from '../inbox/message-text.js'
import { searchContacts, searchMessages, searchTerms } from './search.repo.js'

const searchQuery = z.object({
  q: z.string().trim().min(1).max(200),
  limit: z.coerce.number().int().min(1).max(50).default(20),
})
const contactRef = z.object({ id: z.string(), name: z.string().nullable(), waId: z.string().nullable() })
const searchResult = z.object({
  terms: z.array(z.string()),
  messages: z.array(
    z.object({
      id: z.string(),
      conversationId: z.string(),
      direction: z.enum(['inbound', 'outbound']),
      type: z.string(),
      timestamp: z.string(),
      text: z.string().nullable(),
      contact: contactRef,
    }),
  ),
  conversations: z.array(z.object({ conversationId: z.string(), lastMessageAt: z.string(), contact: contactRef })),
})

/**
 * `GET /api/search?q=`: full text over message text and contact names/numbers. The answer names
 * the matched terms; the app highlights them (no HTML from the server).
 */
export const searchRoutes: FastifyPluginAsync<{ db: Db; vault: MessageVault }> = async (base, { db, vault }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()

  app.get('/api/search', { config: { access: STAFF }, schema: { tags: ['search'], querystring: searchQuery, response: { 200: searchResult } } }, async (request) => {
    const { q, limit } = request.query
    const terms = searchTerms(q)
    const agent = await narrowedTo(db, request.auth)
    // An agent who sees only their own and unassigned conversations finds only those (GDPR-25).
    const visible = (h: { assignee_id: string | null }) => !agent || h.assignee_id === null || h.assignee_id === agent
    const [hits, contacts] = await Promise.all([searchMessages(db, vault, terms, { limit, visible }), searchContacts(db, vault, q, 10)])
    return {
      terms,
      messages: hits.map((r) => ({
        id: r.id,
        conversationId: r.conversation_id,
        direction: r.direction,
        type: r.type,
        timestamp: r.timestamp,
        text: messageText(r.type, r.content),
        contact: { id: r.contact_id, name: r.profile_name, waId: r.wa_id },
      })),
      conversations: contacts.filter(visible).map((c) => ({ conversationId: c.conversation_id, lastMessageAt: c.last_message_at, contact: { id: c.id, name: c.profile_name, waId: c.wa_id } })),
    }
  })
}
