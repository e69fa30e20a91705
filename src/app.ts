import { fileURLToPath } from 'node:url'
import cookie from '@fastify/cookie'
import swagger from '@fastify/swagger'
import Fastify, { type FastifyInstance, LogController } from 'fastify'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import type { Config } from './config.js'
import type { SecretBox } from './platform/crypto/secret-box.js'
import { ArchiveLog } from './modules/archive/archive-log.js'
import { archiveRoutes } from './modules/archive/archive.routes.js'
import { archiveRecordRoutes } from './modules/archive/records.routes.js'
import { archiveAccessRoutes } from './modules/archive/access.routes.js'
import { loadArchiveKey } from './modules/archive/signing-key.js'
import { ArchiveWatch } from './modules/archive/watch.js'
import { DataKeys } from './modules/archive/data-keys.js'
import { JournalSealer } from './modules/archive/journal-sealer.js'
import { MessageVault, sealStoredContents } from './modules/inbox/message-vault.js'
import { sealStoredDetails } from './modules/contacts/contact-details.js'
import { sealStoredFreeText } from './modules/contacts/free-text.js'
import { reshredRestored } from './modules/privacy/erasure.js'
import { readRetention } from './modules/privacy/retention-settings.js'
import type { WhatsAppConnection } from './modules/whatsapp/connection.js'
import type { DatabaseHandle } from './db/database.js'
import { postgresUpkeepWarning } from './db/maintenance.js'
import { authRoutes } from './modules/auth/auth.routes.js'
import { LoginThrottle } from './modules/auth/login-throttle.js'
import { userRoutes } from './modules/auth/users.routes.js'
import { TwoFactor } from './modules/auth/two-factor.js'
import { twoFactorRoutes } from './modules/auth/two-factor.routes.js'
import { type SetupState, setupRoutes } from './modules/auth/setup.routes.js'
import { inboxRoutes } from './modules/inbox/inbox.routes.js'
import { labelRoutes } from './modules/labels/labels.routes.js'
import { noteRoutes } from './modules/notes/notes.routes.js'
import { quickReplyRoutes } from './modules/quick-replies/quick-replies.routes.js'
import { searchRoutes } from './modules/search/search.routes.js'
import { settingsRoutes } from './modules/settings/settings.routes.js'
import { mediaDownloadJob } from './modules/media/media-download.job.js'
import { reminderJob } from './modules/inbox/reminders.js'
import { type MediaStore, sealLegacyMedia } from './modules/media/media-store.js'
import { mediaRoutes } from './modules/media/media.routes.js'
import { MediaUploader } from './modules/outbound/media-uploader.js'
import { SendWorker } from './modules/outbound/send-worker.js'
import { GraphClient } from './modules/whatsapp/graph-client.js'
import { WebhookIngestor } from './modules/whatsapp/ingest.js'
import { webhookRoutes } from './modules/whatsapp/webhook.routes.js'
import { channelRoutes } from './modules/whatsapp/channels.routes.js'
import { templateRoutes } from './modules/whatsapp/templates.routes.js'
import { TemplateCatalog } from './modules/whatsapp/template-catalog.js'
import { Suppressions } from './modules/consent/consent.repo.js'
import { ConsentService } from './modules/consent/consent.service.js'
import { consentRoutes } from './modules/consent/consent.routes.js'
import { existingCustomerRoutes } from './modules/consent/existing-customer.routes.js'
import { consentImportRoutes } from './modules/consent/consent-import.routes.js'
import { getSetting } from './modules/settings/settings.repo.js'
import { breachRoutes } from './modules/privacy/breach.routes.js'
import { dsrRoutes } from './modules/privacy/dsr.routes.js'
import { privacyTaskRoutes } from './modules/privacy/tasks.routes.js'
import { privacyRoutes } from './modules/privacy/privacy.routes.js'
import { subjectImportRoutes } from './modules/privacy/subject-import.routes.js'
import { guardConversationRoutes } from './modules/privacy/team-access.js'
import { optinRoutes } from './modules/consent/optin.routes.js'
import { KeywordMatcher } from './modules/consent/keywords.js'
import { AutoReplies } from './modules/automation/auto-replies.js'
import { automationRoutes } from './modules/automation/automation.routes.js'
import { statsRoutes } from './modules/stats/stats.routes.js'
import { Integrations } from './modules/integrations/integrations.js'
import { integrationRoutes } from './modules/integrations/integrations.routes.js'
import { CampaignRunner } from './modules/campaigns/campaign-runner.js'
import { campaignRoutes } from './modules/campaigns/campaigns.routes.js'
import { numberStatusRoutes } from './modules/whatsapp/number-status.routes.js'
import { businessProfileRoutes } from './modules/business-profile/business-profile.routes.js'
import { installAccessControl } from './platform/http/access.js'
import { healthRoutes } from './platform/http/health.routes.js'
import { installNulGuard } from './platform/http/nul-guard.js'
import { installProblemHandler } from './platform/http/problem.js'
import { webAppRoutes } from './platform/http/web-app.routes.js'
import { JobRunner } from './platform/jobs/job-runner.js'
import { eventRoutes } from './platform/realtime/events.routes.js'
import { AutoAssigner } from './modules/assignment/assigner.js'
import { InactiveResolver } from './modules/assignment/inactive-resolver.js'
import { assignmentRoutes } from './modules/assignment/assignment.routes.js'
import { OverdueWatcher } from './modules/reply-targets/overdue-watcher.js'
import { replyTargetRoutes } from './modules/reply-targets/reply-targets.routes.js'
import { markPresent, PRESENCE_RENEW_MS } from './modules/assignment/presence.repo.js'
import { RealtimeHub } from './platform/realtime/hub.js'
import { bridgeHub } from './platform/realtime/pg-bridge.js'
import { type SimulatorState, simulatorPlugin } from './simulator/index.js'

export type AppDeps = {
  config: Config
  database: DatabaseHandle
  /** The Cloud API connection in effect: real credentials (environment or saved), or the simulator's. */
  whatsapp: WhatsAppConnection
  /** Seals secrets kept in the database with the master key. */
  secretBox: SecretBox
  mediaStore: MediaStore
  /** First-start setup (a one-time token while no user exists). */
  setup?: SetupState
  /** Present when the built-in simulator serves as the Cloud API. */
  simulator?: SimulatorState | undefined
  /** The clock automatic answers and opening hours go by (tests set exact instants). */
  clock?: () => number
  /** false for silence (tests); otherwise the configured level, with redaction, to `stream` or stdout. */
  logger?: false | { stream?: NodeJS.WritableStream }
}

export type App = { app: FastifyInstance; ingestor: WebhookIngestor; sendWorker: SendWorker; campaigns: CampaignRunner; jobs: JobRunner; assigner: AutoAssigner; resolver: InactiveResolver; overdue: OverdueWatcher; graph: GraphClient; hub: RealtimeHub; archive: ArchiveLog; archiveWatch: ArchiveWatch; sealer: JournalSealer; vault: MessageVault; mediaStore: MediaStore }

/** The built web app: web/dist beside src/ (from source) or beside dist/ (compiled). */
const WEB_ROOT = fileURLToPath(new URL('../web/dist', import.meta.url))

/** Personal data and secrets never reach the log. */
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'req.headers["x-hub-signature-256"]', 'res.headers["set-cookie"]']

/** Builds the whole server without listening; tests drive it with `app.inject`. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, database, whatsapp } = deps
  const app = Fastify({
    logger: deps.logger === false ? false : { level: config.logLevel, redact: REDACT, ...(deps.logger?.stream ? { stream: deps.logger.stream } : {}) },
    bodyLimit: 1024 * 1024,
    trustProxy: config.publicUrl !== undefined,
    // Per-request lines only when debugging: at ingest rates they cost more than they tell.
    logController: new LogController({ disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace' }),
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  installProblemHandler(app)
  await app.register(cookie)
  installAccessControl(app, database.db)
  installNulGuard(app)
  guardConversationRoutes(app, database.db)
  await app.register(swagger, {
    openapi: { info: { title: 'Postfach API', version: '0.1.0', description: 'Team inbox for the WhatsApp Business Platform' }, components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'postfach_session' } } } },
    transform: jsonSchemaTransform,
  })

  const graph = new GraphClient(whatsapp)
  const templates = new TemplateCatalog(graph, whatsapp)
  const dataKeys = new DataKeys(deps.secretBox, config.dataDir)
  const again = await dataKeys.reapplyTombstones(database.db)
  if (again) app.log.warn(`${again} data keys that had been shredded were present again (a restored backup?) and were destroyed again`)
  const vault = new MessageVault(dataKeys, deps.secretBox)
  const sealedNow = await sealStoredContents(database.db, vault)
  if (sealedNow) app.log.info(`${sealedNow} stored message contents were encrypted at rest and indexed for search`)
  const detailsSealed = await sealStoredDetails(database.db, vault.details)
  if (detailsSealed) app.log.info(`${detailsSealed} contacts' names and numbers were encrypted at rest and indexed for search`)
  const textSealed = await sealStoredFreeText(database.db, vault.details)
  if (textSealed) app.log.info(`${textSealed} notes and reasons written about customers were encrypted at rest`)
  const consent = new ConsentService(new Suppressions(deps.secretBox.deriveKey('postfach:suppression:v1')), new KeywordMatcher(), vault)
  const savedKeywords = await getSetting<{ stop: string[]; start: string[]; confirm: string[] }>(database.db, 'consent.keywords')
  if (savedKeywords) consent.keywords.configure(savedKeywords)
  const sealer = new JournalSealer(dataKeys, deps.secretBox)
  const integrations = new Integrations(deps.secretBox)
  const reshredded = await reshredRestored(database.db, { retention: await readRetention(database.db), suppressions: consent.suppressions, keys: dataKeys, details: vault.details, integrations })
  for (const sha of reshredded.orphanedMedia) await deps.mediaStore.delete(sha)
  const mediaSealed = await sealLegacyMedia(database.db, deps.mediaStore)
  if (mediaSealed) app.log.info(`${mediaSealed} media files stored before encryption at rest were encrypted`)
  if (reshredded.contacts) app.log.warn(`${reshredded.contacts} people erased earlier were back in the database (a restored backup?) and were erased again`)
  const upkeep = await postgresUpkeepWarning(database)
  if (upkeep) app.log.warn(upkeep)
  const now = deps.clock ?? Date.now
  const autoReplies = new AutoReplies({
    now,
    vault,
    isConsentKeyword: (text) => consent.isKeyword(text),
    optedOutOfEverything: (tx, m) => consent.optedOutOfEverything(tx, m.contactId, m.waId),
  })
  // Consent keywords first: a STOP in the same group must keep an automatic answer from going out.
  const afterProjection: ConstructorParameters<typeof WebhookIngestor>[3] = async (tx, added, signals) => {
    await consent.afterProjection(tx, added, signals)
    if (added.length > 0) await autoReplies.afterProjection(tx, added)
  }
  const ingestor = new WebhookIngestor(database, (id) => id !== undefined && id === whatsapp.phoneNumberId, app.log, afterProjection, 200, sealer, vault)
  const hub = new RealtimeHub()
  const unbridge = await bridgeHub(hub, database, app.log)
  // Inbound media are named by their message's id: tell the message's conversation it is here.
  const mediaStored = async (mediaId: string) => {
    const m = await database.db.selectFrom('messages').select('conversation_id').where('id', '=', mediaId).executeTakeFirst()
    if (m) hub.conversationsChanged([m.conversation_id])
  }
  // A reminder that reopens a waiting conversation tells the team's screens and the colleague reminded.
  const reminderWoke = (conversationId: string, notified: string | null) => {
    hub.conversationsChanged([conversationId])
    if (notified) hub.publish({ type: 'notification', userId: notified, conversationId })
  }
  const jobs = new JobRunner(
    database,
    [mediaDownloadJob(database.db, graph, deps.mediaStore, (id) => void mediaStored(id)), integrations.deliveryJob(database.db), reminderJob(database.db, reminderWoke)],
    app.log,
  )
  const sendWorker = new SendWorker({
    database,
    graph,
    media: new MediaUploader(database.db, deps.mediaStore, graph),
    messagesPerSecond: whatsapp.messagesPerSecond,
    leaseMs: config.sendLeaseMs,
    consent,
    sealer,
    vault,
    log: app.log,
    onChange: (_messageId, conversationId) => hub.conversationsChanged([conversationId]),
  })
  // Automatic assignment: the team's screens and the colleague hear of each conversation given.
  const assigner = new AutoAssigner(database.db, app.log, (assigned) => {
    hub.conversationsChanged(assigned.map((a) => a.conversationId))
    for (const a of assigned) hub.publish({ type: 'notification', userId: a.userId, conversationId: a.conversationId })
  })
  // Quiet conversations put away: the team's screens update, and colleagues at their limit get room.
  const resolver = new InactiveResolver(database.db, app.log, (ids) => {
    hub.conversationsChanged(ids)
    assigner.poke()
  })
  // Customers past the reply target: the colleague told hears it at once under the bell.
  const overdue = new OverdueWatcher(database.db, app.log, now, (notices) => {
    for (const n of notices) hub.publish({ type: 'notification', userId: n.userId, conversationId: n.conversationId })
  })
  const colleagueAlive = async (userId: string) => {
    if (await markPresent(database.db, userId)) assigner.poke()
  }
  ingestor.onCommitted((group) => {
    if (group.conversationIds.size > 0) assigner.poke()
    // Only a group that queued downloads wakes the job runner: its claim is a write, and ingest
    // should not pay a second commit per group for nothing.
    if (group.mediaQueued > 0) jobs.poke()
    if (group.templatesChanged) templates.invalidate()
    hub.conversationsChanged(group.conversationIds)
  })

  await app.register(healthRoutes, { database })
  const secureCookies = config.publicUrl?.startsWith('https://') ?? false
  const twoFactor = new TwoFactor(deps.secretBox)
  const signIn = { db: database.db, throttle: new LoginThrottle(), twoFactor, secureCookies }
  await app.register(authRoutes, signIn)
  await app.register(twoFactorRoutes, signIn)
  await app.register(setupRoutes, { db: database.db, setup: deps.setup ?? { token: undefined }, secureCookies })
  await app.register(userRoutes, { db: database.db })
  await app.register(webhookRoutes, { credentials: whatsapp, ingestor })
  await app.register(inboxRoutes, {
    db: database.db,
    graph,
    defaultChannel: whatsapp,
    consent,
    templates,
    vault,
    onChanged: (conversationId, queued) => {
      if (queued) sendWorker.poke()
      hub.conversationsChanged([conversationId])
      // Resolved or handed on: someone may have room for a waiting conversation now.
      assigner.poke()
    },
    onNotified: (userId, conversationId) => hub.publish({ type: 'notification', userId, conversationId }),
    now,
  })
  await app.register(labelRoutes, { db: database.db, onConversationChanged: (id) => hub.conversationsChanged([id]) })
  await app.register(noteRoutes, { db: database.db, hub, details: vault.details })
  await app.register(quickReplyRoutes, { db: database.db })
  await app.register(searchRoutes, { db: database.db, vault })
  await app.register(settingsRoutes, { db: database.db })
  await app.register(eventRoutes, {
    hub,
    onAlive: { call: (userId) => void colleagueAlive(userId).catch((err: unknown) => app.log.warn({ err }, 'presence not recorded')), everyMs: PRESENCE_RENEW_MS },
  })
  await app.register(assignmentRoutes, { db: database.db, assigner, resolver })
  await app.register(replyTargetRoutes, { db: database.db, watcher: overdue })
  await app.register(mediaRoutes, { db: database.db, store: deps.mediaStore })
  await app.register(channelRoutes, {
    db: database.db,
    graph,
    onResume: () => sendWorker.poke(),
    connection: whatsapp,
    secretBox: deps.secretBox,
    publicUrl: config.publicUrl,
  })
  await app.register(templateRoutes, { db: database.db, catalog: templates, graph, account: whatsapp, keywords: consent.keywords })
  await app.register(automationRoutes, { db: database.db, now, onChanged: () => autoReplies.invalidate() })
  await app.register(statsRoutes, { db: database.db, dialect: database.dialect, now })
  const campaigns = new CampaignRunner({
    db: database.db,
    vault,
    consent,
    channelId: () => whatsapp.phoneNumberId,
    messagesPerSecond: whatsapp.messagesPerSecond,
    now,
    log: app.log,
    onQueued: (conversationIds) => {
      if (conversationIds.length === 0) return
      sendWorker.poke()
      hub.conversationsChanged(conversationIds)
    },
  })
  await app.register(campaignRoutes, { db: database.db, consent, catalog: templates, details: vault.details, now, onStarted: () => campaigns.poke() })
  await app.register(numberStatusRoutes, { db: database.db, graph, phoneNumberId: () => whatsapp.phoneNumberId })
  await app.register(businessProfileRoutes, { db: database.db, graph, phoneNumberId: () => whatsapp.phoneNumberId, account: whatsapp })
  await app.register(existingCustomerRoutes, { db: database.db, consent, vault, now })
  await app.register(consentRoutes, { db: database.db, consent, vault, onChanged: (id) => hub.conversationsChanged([id]) })
  await app.register(optinRoutes, {
    db: database.db,
    vault,
    channel: whatsapp,
    confirmationTemplate: { name: 'optin_confirmation', language: 'de' },
    onQueued: (conversationId) => {
      sendWorker.poke()
      hub.conversationsChanged([conversationId])
    },
  })
  await app.register(privacyRoutes, {
    db: database.db,
    consent,
    vault,
    store: deps.mediaStore,
    keys: dataKeys,
    integrations,
    deployment: { dialect: database.dialect, https: config.publicUrl?.startsWith('https://') ?? false, simulator: deps.simulator !== undefined },
    onConversationsChanged: (ids) => hub.conversationsChanged(ids),
  })
  await app.register(subjectImportRoutes, { db: database.db, store: deps.mediaStore, sealer, vault, suppressions: consent.suppressions, channelId: () => whatsapp.phoneNumberId, onConversationsChanged: (ids) => hub.conversationsChanged(ids) })
  await app.register(dsrRoutes, { db: database.db, integrations, details: vault.details })
  await app.register(privacyTaskRoutes, { db: database.db, details: vault.details })
  await app.register(integrationRoutes, { db: database.db, integrations })
  await app.register(consentImportRoutes, { db: database.db, consent, vault })
  await app.register(breachRoutes, { db: database.db })
  const archiveKey = loadArchiveKey({ keyFile: config.archiveKeyFile, dataDir: config.dataDir })
  const archive = new ArchiveLog(database, archiveKey, { checkpointEntries: config.archiveCheckpoint.entries, checkpointIntervalMs: config.archiveCheckpoint.intervalMs, tsaUrl: config.archiveTsaUrl }, (err) =>
    app.log.error({ err }, 'archive integration failed'),
  )
  const archiveWatch = new ArchiveWatch(
    database,
    archiveKey,
    { intervalMs: config.archiveVerifyMs, recentLeaves: 1000, checkpointLimitMs: config.archiveLimits.checkpointMs, commitLimitMs: config.archiveLimits.commitMs, commitP99: () => ingestor.commitLatencyP99() },
    (err) => app.log.error({ err }, 'archive verification failed to run'))
  await app.register(archiveRecordRoutes, {
    db: database.db,
    details: vault.details,
    facts: { dialect: database.dialect, keyName: archiveKey.name, checkpoint: config.archiveCheckpoint, verifyIntervalMs: config.archiveVerifyMs, tsaUrl: config.archiveTsaUrl },
  })
  await app.register(archiveAccessRoutes, { db: database.db, log: archive, keyPair: archiveKey, store: deps.mediaStore, sealer, vault })
  await app.register(archiveRoutes, { db: database.db, log: archive, keyPair: archiveKey, watch: archiveWatch })
  if (deps.simulator) await app.register(simulatorPlugin, { state: deps.simulator })
  await app.register(webAppRoutes, { root: WEB_ROOT })
  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger())

  app.addHook('onClose', async () => {
    await assigner.stop()
    await resolver.stop()
    await overdue.stop()
    await unbridge()
    await campaigns.stop()
    await sendWorker.stop()
    await jobs.stop()
    // Last: everything the workers committed goes into the log and under a final checkpoint.
    archiveWatch.stop()
    await archive.stop()
  })
  return { app, ingestor, sendWorker, campaigns, jobs, assigner, resolver, overdue, graph, hub, archive, archiveWatch, sealer, vault, mediaStore: deps.mediaStore }
}
