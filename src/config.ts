import path from 'node:path'
import { z } from 'zod'

/** Meta's Graph API, pinned to the version Postfach is tested against. */
export const DEFAULT_GRAPH_BASE_URL = 'https://graph.facebook.com/v26.0'

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional()

const port = z.coerce.number().int().min(0).max(65535)

const envSchema = z
  .object({
    PORT: port.default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: optionalString.pipe(
      z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
    ),
    DATABASE_SCHEMA: optionalString.pipe(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier').optional()),
    PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    WHATSAPP_APP_SECRET: optionalString,
    WHATSAPP_VERIFY_TOKEN: optionalString,
    WHATSAPP_ACCESS_TOKEN: optionalString,
    WHATSAPP_PHONE_NUMBER_ID: optionalString.pipe(z.string().regex(/^\d+$/, 'must be digits').optional()),
    WHATSAPP_BUSINESS_ACCOUNT_ID: optionalString.pipe(z.string().regex(/^\d+$/, 'must be digits').optional()),
    /** The Meta app's id: uploads through the app (the business profile picture). */
    WHATSAPP_APP_ID: optionalString.pipe(z.string().regex(/^\d+$/, 'must be digits').optional()),
    WHATSAPP_API_BASE_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    WHATSAPP_MESSAGES_PER_SECOND: z.coerce.number().int().min(1).max(1000).default(80),
    POSTFACH_ADMIN_EMAIL: optionalString.pipe(z.email().optional()),
    POSTFACH_ADMIN_PASSWORD: optionalString.pipe(z.string().min(12, 'must be at least 12 characters').optional()),
    POSTFACH_MASTER_KEY_FILE: optionalString,
    POSTFACH_ARCHIVE_KEY_FILE: optionalString,
    // A signed checkpoint after this many new log entries or this many seconds, whichever is first.
    ARCHIVE_CHECKPOINT_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(1000),
    ARCHIVE_CHECKPOINT_SECONDS: z.coerce.number().min(0.05).max(3600).default(10),
    // RFC 3161 time-stamping authority for checkpoints (optional; e.g. a qualified TSA).
    ARCHIVE_TSA_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    // GOBD-4 limits: an alert when an entry waits longer for a checkpoint, or commits slower (p99).
    ARCHIVE_CHECKPOINT_LIMIT_SECONDS: z.coerce.number().min(1).max(86_400).default(60),
    ARCHIVE_COMMIT_LIMIT_MS: z.coerce.number().int().min(1).max(600_000).default(1000),
    // How often the continuous verifier re-checks new checkpoints and the most recent entries.
    ARCHIVE_VERIFY_SECONDS: z.coerce.number().min(0.05).max(86_400).default(60),
    SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
    SEND_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    // The built-in simulator's mischief, to see how Postfach copes (all off by default).
    SIMULATOR_STATUS_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(700),
    SIMULATOR_DUPLICATE_RATE: z.coerce.number().min(0).max(1).default(0),
    SIMULATOR_SHUFFLE_MS: z.coerce.number().int().min(0).max(600_000).default(0),
    SIMULATOR_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.POSTFACH_ADMIN_EMAIL) !== Boolean(env.POSTFACH_ADMIN_PASSWORD)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.POSTFACH_ADMIN_EMAIL ? 'POSTFACH_ADMIN_PASSWORD' : 'POSTFACH_ADMIN_EMAIL'],
        message: 'POSTFACH_ADMIN_EMAIL and POSTFACH_ADMIN_PASSWORD go together',
      })
    }
    const whatsapp = [
      'WHATSAPP_APP_SECRET',
      'WHATSAPP_VERIFY_TOKEN',
      'WHATSAPP_ACCESS_TOKEN',
      'WHATSAPP_PHONE_NUMBER_ID',
    ] as const
    const set = whatsapp.filter((k) => env[k])
    if (set.length > 0 && set.length < whatsapp.length) {
      for (const k of whatsapp.filter((k) => !env[k])) {
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: `is required when ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set (or unset all to use the simulator)`,
        })
      }
    }
  })

export type WhatsAppSettings = {
  appSecret: string
  verifyToken: string
  accessToken: string
  phoneNumberId: string
  businessAccountId: string
  /** Graph base URL including the version, no trailing slash. */
  apiBaseUrl: string
  messagesPerSecond: number
  appId?: string | undefined
}

export type Config = Readonly<{
  port: number
  host: string
  dataDir: string
  databaseUrl: string | undefined
  /** PostgreSQL schema for Postfach's tables (created if missing); default: the search_path's. */
  databaseSchema: string | undefined
  publicUrl: string | undefined
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL']
  sqliteSynchronous: 'FULL' | 'NORMAL'
  /** After this long a claimed send whose worker vanished counts as `uncertain`. */
  sendLeaseMs: number
  /** Real Cloud API credentials; undefined means the built-in simulator is used. */
  whatsapp: WhatsAppSettings | undefined
  messagesPerSecond: number
  initialAdmin: { email: string; password: string } | undefined
  /** How the built-in simulator behaves (used only without WhatsApp credentials). */
  simulator: { statusStepMs: number; duplicateRate: number; jitterMs: number; failureRate: number }
  masterKeyFile: string | undefined
  /** The archive's Ed25519 signing key (PEM); default DATA_DIR/archive-signing.key, made at first start. */
  archiveKeyFile: string | undefined
  archiveCheckpoint: { entries: number; intervalMs: number }
  archiveVerifyMs: number
  archiveLimits: { checkpointMs: number; commitMs: number }
  archiveTsaUrl: string | undefined
}>

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  }
}

/**
 * Reads and validates the environment once. Throws a ConfigError that lists every invalid
 * variable by name; never returns a partially valid config. The only reader of process.env.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0] ?? 'environment')}: ${i.message}`))
  }
  const e = parsed.data
  const whatsapp: WhatsAppSettings | undefined = e.WHATSAPP_ACCESS_TOKEN
    ? {
        appSecret: e.WHATSAPP_APP_SECRET!,
        verifyToken: e.WHATSAPP_VERIFY_TOKEN!,
        accessToken: e.WHATSAPP_ACCESS_TOKEN,
        phoneNumberId: e.WHATSAPP_PHONE_NUMBER_ID!,
        businessAccountId: e.WHATSAPP_BUSINESS_ACCOUNT_ID ?? '',
        appId: e.WHATSAPP_APP_ID,
        apiBaseUrl: (e.WHATSAPP_API_BASE_URL ?? DEFAULT_GRAPH_BASE_URL).replace(/\/+$/, ''),
        messagesPerSecond: e.WHATSAPP_MESSAGES_PER_SECOND,
      }
    : undefined
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.DATABASE_SCHEMA,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    logLevel: e.LOG_LEVEL,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    sendLeaseMs: e.SEND_LEASE_SECONDS * 1000,
    whatsapp,
    messagesPerSecond: e.WHATSAPP_MESSAGES_PER_SECOND,
    initialAdmin: e.POSTFACH_ADMIN_EMAIL
      ? { email: e.POSTFACH_ADMIN_EMAIL.toLowerCase(), password: e.POSTFACH_ADMIN_PASSWORD! }
      : undefined,
    masterKeyFile: e.POSTFACH_MASTER_KEY_FILE,
    archiveKeyFile: e.POSTFACH_ARCHIVE_KEY_FILE,
    archiveCheckpoint: { entries: e.ARCHIVE_CHECKPOINT_ENTRIES, intervalMs: Math.round(e.ARCHIVE_CHECKPOINT_SECONDS * 1000) },
    archiveVerifyMs: Math.round(e.ARCHIVE_VERIFY_SECONDS * 1000),
    archiveLimits: { checkpointMs: Math.round(e.ARCHIVE_CHECKPOINT_LIMIT_SECONDS * 1000), commitMs: e.ARCHIVE_COMMIT_LIMIT_MS },
    archiveTsaUrl: e.ARCHIVE_TSA_URL,
    simulator: { statusStepMs: e.SIMULATOR_STATUS_DELAY_MS, duplicateRate: e.SIMULATOR_DUPLICATE_RATE, jitterMs: e.SIMULATOR_SHUFFLE_MS, failureRate: e.SIMULATOR_FAILURE_RATE },
  })
}
