import type { FastifyPluginAsync } from 'fastify'
import type { ContactDetails } from '../contacts/contact-details.js'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db, Executor } from '../../db/database.js'
import type { CampaignStatus } from '../../db/schema.js'
import { newId } from '../../platform/ids.js'
import { AppError, badRequest, conflict, notFound } from '../../platform/errors.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { listPurposes } from '../consent/consent.repo.js'
import type { ConsentService } from '../consent/consent.service.js'
import { hasOptOut } from '../consent/template-opt-out.js'
import { audit } from '../privacy/audit.js'
import type { TemplateCatalog } from '../whatsapp/template-catalog.js'
import { audienceSchema, classifyAudience, previewOf } from './audience.js'
import { launch } from './campaign-runner.js'

const idParams = z.object({ id: z.string().max(64) })
const previewBody = z.object({ purpose: z.string().max(64), audience: audienceSchema })
const createBody = previewBody.extend({
  name: z.string().trim().min(1).max(200),
  template: z.object({ name: z.string().regex(/^[a-z0-9_]{1,512}$/), language: z.string().max(10), parameters: z.array(z.string().max(1024)).max(20).default([]) }),
  scheduledAt: z.iso.datetime({ offset: true }).optional(),
})
const previewSchema = z.object({ matched: z.number(), eligible: z.number(), excluded: z.object({ 'no-consent': z.number(), withdrawn: z.number(), objected: z.number(), suppressed: z.number(), restricted: z.number() }) })
const progressSchema = z.object({ recipients: z.number(), pending: z.number(), queued: z.number(), skipped: z.record(z.string(), z.number()), sent: z.number(), delivered: z.number(), read: z.number(), failed: z.number(), replied: z.number() })
const campaignSchema = z.object({
  id: z.string(),
  name: z.string(),
  purpose: z.string(),
  template: z.object({ name: z.string(), language: z.string(), parameters: z.array(z.string()) }),
  audience: z.record(z.string(), z.unknown()),
  status: z.string(),
  scheduledAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  createdAt: z.string(),
  progress: progressSchema,
})
const recipientSchema = z.object({ contactId: z.string(), name: z.string().nullable(), waId: z.string().nullable(), state: z.string(), skipReason: z.string().nullable(), status: z.string().nullable(), error: z.string().nullable(), replied: z.boolean() })

const DELIVERED = new Set(['delivered', 'read'])

async function progressOf(db: Executor, campaignId: string) {
  const rows = await db
    .selectFrom('campaign_recipients as r')
    .leftJoin('messages as m', 'm.id', 'r.message_id')
    .select(['r.state', 'r.skip_reason', 'm.status', 'm.conversation_id', 'm.timestamp'])
    .where('r.campaign_id', '=', campaignId)
    .execute()
  const p = { recipients: rows.length, pending: 0, queued: 0, skipped: {} as Record<string, number>, sent: 0, delivered: 0, read: 0, failed: 0, replied: 0 }
  for (const r of rows) {
    if (r.state === 'pending') p.pending++
    else if (r.state === 'skipped') p.skipped[r.skip_reason ?? 'other'] = (p.skipped[r.skip_reason ?? 'other'] ?? 0) + 1
    else p.queued++
    if (r.status === 'sent' || (r.status && DELIVERED.has(r.status))) p.sent++
    if (r.status && DELIVERED.has(r.status)) p.delivered++
    if (r.status === 'read') p.read++
    if (r.status === 'failed') p.failed++
  }
  p.replied = (await repliedConversations(db, campaignId)).size
  return p
}

/** Conversations where the customer wrote after the campaign's message was queued (stored times: WhatsApp's own are whole seconds). */
async function repliedConversations(db: Executor, campaignId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('campaign_recipients as r')
    .innerJoin('messages as m', 'm.id', 'r.message_id')
    .innerJoin('messages as answer', (j) => j.onRef('answer.conversation_id', '=', 'm.conversation_id').onRef('answer.created_at', '>', 'm.created_at'))
    .select('m.conversation_id')
    .distinct()
    .where('r.campaign_id', '=', campaignId)
    .where('answer.direction', '=', 'inbound')
    .execute()
  return new Set(rows.map((r) => r.conversation_id))
}

/**
 * Campaigns: a marketing template to an audience that is filtered by consent for the campaign's
 * purpose, previewed with the reasons people are left out, scheduled or started, paused,
 * resumed and cancelled. The runner (campaign-runner.ts) queues at the number's pace.
 */
export const campaignRoutes: FastifyPluginAsync<{ db: Db; consent: ConsentService; catalog: TemplateCatalog; details: ContactDetails; now: () => number; onStarted: () => void }> = async (base, { db, consent, catalog, details, now, onStarted }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['campaigns']

  const present = async (c: { id: string; name: string; purpose: string; template: string; audience: string; status: string; scheduled_at: string | null; started_at: string | null; finished_at: string | null; created_at: string }) => ({
    id: c.id,
    name: c.name,
    purpose: c.purpose,
    template: JSON.parse(c.template),
    audience: JSON.parse(c.audience),
    status: c.status,
    scheduledAt: c.scheduled_at,
    startedAt: c.started_at,
    finishedAt: c.finished_at,
    createdAt: c.created_at,
    progress: await progressOf(db, c.id),
  })
  const find = async (id: string) => {
    const c = await db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst()
    if (!c) throw notFound('Campaign')
    return c
  }
  const knownPurpose = async (key: string) => {
    if (!(await listPurposes(db)).some((p) => p.key === key)) throw badRequest(`Unknown consent purpose "${key}".`, { field: 'purpose' })
  }
  const noRecipients = (preview: ReturnType<typeof previewOf>) =>
    new AppError('campaigns.no_recipients', 400, `No one in this audience has a confirmed consent for the purpose (${preview.matched} matched; left out: ${Object.entries(preview.excluded).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}).`, { details: { preview } })

  app.post('/api/campaigns/preview', { config: { access: STAFF }, schema: { tags, body: previewBody, response: { 200: previewSchema } } }, async (request) => {
    await knownPurpose(request.body.purpose)
    return previewOf(await classifyAudience(db, { consent, details }, request.body.audience, request.body.purpose))
  })

  app.get('/api/campaigns', { config: { access: STAFF }, schema: { tags, response: { 200: z.object({ items: z.array(campaignSchema) }) } } }, async () => {
    const rows = await db.selectFrom('campaigns').selectAll().orderBy('created_at', 'desc').limit(200).execute()
    return { items: await Promise.all(rows.map(present)) }
  })

  app.post('/api/campaigns', { config: { access: ADMIN }, schema: { tags, body: createBody, response: { 201: campaignSchema } } }, async (request, reply) => {
    const b = request.body
    await knownPurpose(b.purpose)
    const template = await catalog.find(b.template.name, b.template.language).catch(() => undefined)
    if (!template || template.status !== 'APPROVED') throw badRequest(`Template "${b.template.name}" (${b.template.language}) is not an approved template of this account.`, { field: 'template' })
    if (!hasOptOut(template, consent.keywords)) throw new AppError('campaigns.template_without_opt_out', 400, `Template "${template.name}" does not say how to object (a STOP button or a footer naming a stop keyword).`, { details: { field: 'template' } })
    const body = template.components.find((c) => c.type.toUpperCase() === 'BODY')?.text ?? ''
    const variables = new Set(body.match(/\{\{\d+\}\}/g) ?? []).size
    if (b.template.parameters.length !== variables) throw badRequest(`Template "${template.name}" has ${variables} variable(s); ${b.template.parameters.length} value(s) given.`, { field: 'template.parameters' })
    if (b.scheduledAt && Date.parse(b.scheduledAt) <= now()) throw badRequest('The scheduled time must be in the future.', { field: 'scheduledAt' })
    const preview = previewOf(await classifyAudience(db, { consent, details }, b.audience, b.purpose))
    if (preview.eligible === 0) throw noRecipients(preview)
    const at = new Date(now()).toISOString()
    const row = {
      id: newId(),
      name: b.name,
      purpose: b.purpose,
      template: JSON.stringify(b.template),
      audience: JSON.stringify(b.audience),
      status: (b.scheduledAt ? 'scheduled' : 'draft') as CampaignStatus,
      scheduled_at: b.scheduledAt ? new Date(b.scheduledAt).toISOString() : null,
      started_at: null,
      finished_at: null,
      created_by: request.auth?.user?.id ?? null,
      created_at: at,
      updated_at: at,
    }
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('campaigns').values(row).execute()
      await audit(tx, request, { action: 'campaign.created', target: `campaign:${row.id}`, detail: { purpose: b.purpose, eligible: preview.eligible } })
    })
    return reply.code(201).send(await present(row))
  })

  app.get('/api/campaigns/:id', { config: { access: STAFF }, schema: { tags, params: idParams, response: { 200: campaignSchema } } }, async (request) => present(await find(request.params.id)))

  app.get('/api/campaigns/:id/recipients', { config: { access: STAFF }, schema: { tags, params: idParams, response: { 200: z.object({ items: z.array(recipientSchema) }) } } }, async (request) => {
    const c = await find(request.params.id)
    const replied = await repliedConversations(db, c.id)
    const rows = await db
      .selectFrom('campaign_recipients as r')
      .innerJoin('contacts as k', 'k.id', 'r.contact_id')
      .leftJoin('messages as m', 'm.id', 'r.message_id')
      .select(['r.contact_id', 'k.name_override', 'k.profile_name', 'k.wa_id', 'r.state', 'r.skip_reason', 'm.status', 'm.error_title', 'm.error_detail', 'm.conversation_id'])
      .where('r.campaign_id', '=', c.id)
      .orderBy('r.contact_id')
      .limit(5000)
      .execute()
      .then((found) => details.openRows(db, found, (r) => r.contact_id))
    return {
      items: rows.map((r) => ({
        contactId: r.contact_id,
        name: r.name_override ?? r.profile_name,
        waId: r.wa_id,
        state: r.state,
        skipReason: r.skip_reason,
        status: r.status,
        error: r.status === 'failed' ? (r.error_detail ?? r.error_title) : null,
        replied: r.conversation_id !== null && replied.has(r.conversation_id),
      })),
    }
  })

  /** Moves a campaign from one of `from` to `to`, or answers 409 naming its state. */
  const transition = async (id: string, from: CampaignStatus[], to: CampaignStatus, work?: (tx: Executor) => Promise<void>) => {
    const c = await find(id)
    if (!from.includes(c.status)) throw conflict('campaigns.invalid_state', `The campaign is ${c.status}; it cannot be ${to === 'running' ? 'started or resumed' : to} now.`, { campaignStatus: c.status })
    const at = new Date(now()).toISOString()
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('campaigns').set({ status: to, updated_at: at, ...(to === 'cancelled' ? { finished_at: at } : {}) }).where('id', '=', id).where('status', '=', c.status).execute()
      await work?.(tx)
    })
  }

  app.post('/api/campaigns/:id/start', { config: { access: ADMIN }, schema: { tags, params: idParams, response: { 200: campaignSchema } } }, async (request) => {
    const c = await find(request.params.id)
    if (c.status !== 'draft' && c.status !== 'scheduled') throw conflict('campaigns.invalid_state', `The campaign is ${c.status}; only a draft or scheduled one can be started.`, { campaignStatus: c.status })
    // The audience is fixed once, in the transaction; nobody left to receive it rolls the start back.
    await db.transaction().execute(async (tx) => {
      const classified = await launch(tx, { consent, details }, c, new Date(now()).toISOString())
      if (classified.eligible.length === 0) throw noRecipients(previewOf(classified))
      await audit(tx, request, { action: 'campaign.started', target: `campaign:${c.id}` })
    })
    onStarted()
    return present(await find(c.id))
  })

  app.post('/api/campaigns/:id/pause', { config: { access: ADMIN }, schema: { tags, params: idParams, response: { 200: campaignSchema } } }, async (request) => {
    await transition(request.params.id, ['running'], 'paused')
    return present(await find(request.params.id))
  })

  app.post('/api/campaigns/:id/resume', { config: { access: ADMIN }, schema: { tags, params: idParams, response: { 200: campaignSchema } } }, async (request) => {
    await transition(request.params.id, ['paused'], 'running')
    return present(await find(request.params.id))
  })

  app.post('/api/campaigns/:id/cancel', { config: { access: ADMIN }, schema: { tags, params: idParams, response: { 200: campaignSchema } } }, async (request) => {
    const id = request.params.id
    await transition(id, ['draft', 'scheduled', 'running', 'paused'], 'cancelled', async (tx) => {
      await tx.updateTable('campaign_recipients').set({ state: 'skipped', skip_reason: 'cancelled' }).where('campaign_id', '=', id).where('state', '=', 'pending').execute()
      // Queued but not yet handed to WhatsApp: they stay unsent (the send worker skips what is no longer queued).
      const queued = await tx.selectFrom('campaign_recipients').select('message_id').where('campaign_id', '=', id).where('state', '=', 'queued').execute()
      const ids = queued.flatMap((r) => (r.message_id ? [r.message_id] : []))
      for (let i = 0; i < ids.length; i += 500) {
        await tx
          .updateTable('messages')
          .set({ status: 'failed', error_title: 'cancelled', error_detail: 'The campaign was cancelled before this message was sent.', updated_at: new Date(now()).toISOString() })
          .where('status', '=', 'queued')
          .where('id', 'in', ids.slice(i, i + 500))
          .execute()
      }
      await audit(tx, request, { action: 'campaign.cancelled', target: `campaign:${id}` })
    })
    return present(await find(id))
  })
}
