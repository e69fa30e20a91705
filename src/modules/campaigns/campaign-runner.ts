import type { FastifyBaseLogger } from 'fastify'
import type { Db, Executor } from '../../db/database.js'
import type { CampaignsTable } from '../../db/schema.js'
import type { ConsentService } from '../consent/consent.service.js'
import { touchConversation } from '../inbox/conversations.repo.js'
import type { MessageVault } from '../inbox/message-vault.js'
import { insertQueued } from '../outbound/send.service.js'
import { getSetting } from '../settings/settings.repo.js'
import { type Audience, type AudienceJudges, type Classified, classifyAudience } from './audience.js'

export type CampaignTemplate = { name: string; language: string; parameters: string[] }

const DAY = 86_400_000
/** Unique recipients per 24 hours outside a service window, by Meta's limit name; unknown: the lowest. */
export function tierLimit(limit: string | null | undefined): number {
  const m = /TIER_(\d+)(K?)/.exec(limit ?? '')
  if (limit === 'TIER_UNLIMITED' || limit === 'UNLIMITED') return Number.POSITIVE_INFINITY
  return m ? Number(m[1]) * (m[2] ? 1000 : 1) : 250
}

/** Fills `{{contact.name}}` in a campaign's parameters for one recipient. */
const fill = (p: string, name: string) => p.replaceAll(/\{\{\s*contact\.name\s*\}\}/g, name)

/**
 * Fixes a campaign's audience (consent checked for every contact, the reasons kept for those left
 * out) and sets it running. Returns the classification (who gets it, who is left out and why).
 */
export async function launch(tx: Executor, judges: AudienceJudges, c: Pick<CampaignsTable, 'id' | 'audience' | 'purpose'>, now: string): Promise<Classified> {
  const classified = await classifyAudience(tx, judges, JSON.parse(c.audience) as Audience, c.purpose)
  const rows = [
    ...classified.eligible.map((e) => ({ campaign_id: c.id, contact_id: e.contactId, state: 'pending' as const, skip_reason: null, message_id: null, queued_at: null })),
    ...classified.excluded.map((e) => ({ campaign_id: c.id, contact_id: e.contactId, state: 'skipped' as const, skip_reason: e.reason, message_id: null, queued_at: null })),
  ]
  for (let i = 0; i < rows.length; i += 500) await tx.insertInto('campaign_recipients').values(rows.slice(i, i + 500)).execute()
  await tx.updateTable('campaigns').set({ status: 'running', started_at: now, updated_at: now }).where('id', '=', c.id).execute()
  return classified
}

/**
 * Works the running campaigns: every second it queues as many messages as the number's
 * throughput allows and the messaging limit leaves for the last 24 hours; the send worker sends
 * them and checks consent once more at send time, so a STOP that arrives meanwhile still counts.
 * Starts scheduled campaigns when they are due. A paused campaign queues nothing more.
 */
export class CampaignRunner {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined

  constructor(
    private readonly o: { db: Db; vault: MessageVault; consent: ConsentService; channelId: () => string; messagesPerSecond: number; now: () => number; log: FastifyBaseLogger; onQueued: (conversationIds: string[]) => void; intervalMs?: number },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poke(), this.o.intervalMs ?? 1000)
  }

  /** Runs a round now unless one is running (rounds never overlap in one process). */
  poke(): void {
    if (!this.running) this.running = this.tick().catch((err) => this.o.log.error({ err }, 'campaign runner failed')).finally(() => (this.running = undefined))
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.running
  }

  async tick(): Promise<void> {
    const { db } = this.o
    const now = new Date(this.o.now()).toISOString()
    const due = await db.selectFrom('campaigns').select(['id', 'audience', 'purpose']).where('status', '=', 'scheduled').where('scheduled_at', '<=', now).execute()
    for (const c of due) await db.transaction().execute((tx) => launch(tx, { consent: this.o.consent, details: this.o.vault.details }, c, now))

    const active = await db.selectFrom('campaigns').selectAll().where('status', '=', 'running').orderBy('started_at').execute()
    if (active.length === 0) return
    const status = await getSetting<{ messagingLimit: string | null }>(db, 'channel.status')
    const sentLastDay = Number(
      (await db.selectFrom('campaign_recipients').select((eb) => eb.fn.count<number>('contact_id').distinct().as('n')).where('state', '=', 'queued').where('queued_at', '>', new Date(this.o.now() - DAY).toISOString()).executeTakeFirstOrThrow()).n,
    )
    let room = Math.min(this.o.messagesPerSecond, tierLimit(status?.messagingLimit) - sentLastDay)
    for (const c of active) {
      // One row even without room: a campaign with nobody left is complete whatever the limit.
      const batch = await db.selectFrom('campaign_recipients').select('contact_id').where('campaign_id', '=', c.id).where('state', '=', 'pending').limit(Math.max(room, 1)).execute()
      if (batch.length === 0) {
        await db.updateTable('campaigns').set({ status: 'completed', finished_at: now, updated_at: now }).where('id', '=', c.id).where('status', '=', 'running').execute()
        continue
      }
      if (room <= 0) continue
      room -= batch.length
      const queued = await db.transaction().execute(async (tx) => {
        // Paused or cancelled since the batch was read: nothing more goes out.
        const still = await tx.selectFrom('campaigns').select('status').where('id', '=', c.id).executeTakeFirst()
        if (still?.status !== 'running') return []
        const conversationIds: string[] = []
        for (const r of batch) {
          const id = await this.queueOne(tx, c, r.contact_id, now)
          if (id) conversationIds.push(id)
        }
        return conversationIds
      })
      this.o.onQueued(queued)
    }
  }

  /** Queues one recipient's message; undefined when another instance took the recipient first. */
  private async queueOne(tx: Executor, c: CampaignsTable, contactId: string, now: string): Promise<string | undefined> {
    // Claim first: with several instances on PostgreSQL, only one gets the row.
    const claimed = await tx.updateTable('campaign_recipients').set({ state: 'queued', queued_at: now }).where('campaign_id', '=', c.id).where('contact_id', '=', contactId).where('state', '=', 'pending').executeTakeFirst()
    if (Number(claimed.numUpdatedRows) === 0) return undefined
    const template = JSON.parse(c.template) as CampaignTemplate
    const contact = await tx.selectFrom('contacts').select(['id', 'name_override', 'profile_name']).where('id', '=', contactId).executeTakeFirstOrThrow()
    const name = (await this.o.vault.details.shown(tx, contact)) ?? ''
    const conversation = await touchConversation(tx, { contactId, channelId: this.o.channelId(), at: now, inbound: false })
    const parameters = template.parameters.map((p) => ({ type: 'text', text: fill(p, name) }))
    const content = { type: 'template', template: { name: template.name, language: { code: template.language }, ...(parameters.length ? { components: [{ type: 'body', parameters }] } : {}) } }
    // Sent by the campaign, not by a person: it is no agent's answer (first-response times stay true).
    const message = await insertQueued(tx, this.o.vault, conversation, { type: 'template', content, sentBy: null, purpose: c.purpose })
    await tx.updateTable('campaign_recipients').set({ message_id: message.id }).where('campaign_id', '=', c.id).where('contact_id', '=', contactId).execute()
    return conversation.id
  }
}
