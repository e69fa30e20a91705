import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { Executor } from '../../db/database.js'
import { notFound } from '../../platform/errors.js'
import type { Auth } from '../../platform/http/access.js'
import { getSetting } from '../settings/settings.repo.js'

/**
 * Who in the team sees what, privacy by default (GDPR-25, Art. 25(2)): unless an admin widens it,
 * an agent sees the conversations assigned to them and the unassigned ones they may take — not
 * their colleagues' — and lists show phone numbers masked (the open conversation shows it whole).
 */
export const teamAccessSchema = z.object({
  agentVisibility: z.enum(['assigned', 'all']).default('assigned'),
  maskNumbersInLists: z.boolean().default(true),
})
export type TeamAccess = z.infer<typeof teamAccessSchema>

export const readTeamAccess = async (db: Executor): Promise<TeamAccess> => teamAccessSchema.catch(teamAccessSchema.parse({})).parse((await getSetting<unknown>(db, 'privacy.team_access')) ?? {})

/**
 * The agent whose view is narrowed to their own and unassigned conversations, or undefined when
 * the caller sees all: admins, API tokens (an integration acts for the company, with the role its
 * admin gave it), and agents when the admin chose so.
 */
export async function narrowedTo(db: Executor, auth: Auth | undefined): Promise<string | undefined> {
  if (auth?.kind !== 'session' || auth.role !== 'agent') return undefined
  return (await readTeamAccess(db)).agentVisibility === 'assigned' ? auth.user.id : undefined
}

const GUARDED = [
  { prefix: '/api/conversations/:id', what: 'Conversation', assignees: (db: Executor, id: string) => db.selectFrom('conversations').select('assignee_id').where('id', '=', id).execute() },
  { prefix: '/api/messages/:id', what: 'Message', assignees: (db: Executor, id: string) => db.selectFrom('messages').innerJoin('conversations', 'conversations.id', 'messages.conversation_id').select('conversations.assignee_id').where('messages.id', '=', id).execute() },
  { prefix: '/api/contacts/:id', what: 'Contact', assignees: (db: Executor, id: string) => db.selectFrom('conversations').select('assignee_id').where('contact_id', '=', id).execute() },
  // A customer's media file is named by its message (our uploads name none: every colleague may use them).
  { prefix: '/api/media/:id', what: 'Media', assignees: (db: Executor, id: string) => db.selectFrom('messages').innerJoin('conversations', 'conversations.id', 'messages.conversation_id').select('conversations.assignee_id').where('messages.id', '=', id).execute() },
]

/**
 * Every route on one conversation, message, contact or customer's media file (`/api/conversations/:id…`,
 * `/api/messages/:id…`, `/api/contacts/:id…`, `/api/media/:id`) answers 404 to a narrowed agent when all it
 * concerns is a colleague's, as if it did not exist. A contact without conversations stays visible.
 */
export function guardConversationRoutes(app: FastifyInstance, db: Executor) {
  app.addHook('preHandler', async (request) => {
    const route = request.routeOptions.url ?? ''
    const guarded = GUARDED.find((g) => route.startsWith(g.prefix))
    const id = (request.params as { id?: string } | undefined)?.id
    if (!guarded || !id) return
    const agent = await narrowedTo(db, request.auth)
    if (!agent) return
    const rows = await guarded.assignees(db, id)
    if (rows.length && rows.every((r) => r.assignee_id !== null && r.assignee_id !== agent)) throw notFound(guarded.what)
  })
}
