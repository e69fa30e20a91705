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

/**
 * Every route on one conversation (`/api/conversations/:id…`: messages, notes, labels, sending,
 * assigning) answers 404 to an agent for a colleague's conversation, as if it did not exist.
 */
export function guardConversationRoutes(app: FastifyInstance, db: Executor) {
  app.addHook('preHandler', async (request) => {
    if (!request.routeOptions.url?.startsWith('/api/conversations/:id')) return
    const agent = await narrowedTo(db, request.auth)
    if (!agent) return
    const id = (request.params as { id?: string }).id ?? ''
    const c = await db.selectFrom('conversations').select('assignee_id').where('id', '=', id).executeTakeFirst()
    if (c?.assignee_id && c.assignee_id !== agent) throw notFound('Conversation')
  })
}
