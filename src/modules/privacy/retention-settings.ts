import { z } from 'zod'
import type { Executor } from '../../db/database.js'
import { getSetting } from '../settings/settings.repo.js'
import { localYear } from './deadlines.js'

/**
 * Retention periods per class of data. Tax classes run from the end of the calendar year
 * (§ 147 AO, § 257 HGB); the rest are kept only as long as needed (Art. 5(1)(e) GDPR).
 */
export const RETENTION_CLASSES = ['handelsbrief', 'buchungsbeleg', 'buch', 'marketing', 'none'] as const

export const retentionSchema = z.object({
  /** The class of a conversation nobody classified: conservative, a business letter. */
  defaultClass: z.enum(RETENTION_CLASSES).default('handelsbrief'),
  handelsbriefYears: z.number().int().min(6).max(30).default(6),
  buchungsbelegYears: z.number().int().min(8).max(30).default(8),
  buchYears: z.number().int().min(10).max(30).default(10),
  /** Marketing messages without a business-letter link: after withdrawal, this many days. */
  marketingDays: z.number().int().min(0).max(3650).default(30),
  /** Consent evidence after its last use (§ 7a UWG as the benchmark). */
  consentEvidenceYears: z.number().int().min(1).max(30).default(5),
  /** Private notes and labels, after the conversation's last message. */
  notesMonths: z.number().int().min(1).max(120).default(24),
  /** The audit log. */
  auditYears: z.number().int().min(1).max(30).default(3),
})
export type RetentionSettings = z.infer<typeof retentionSchema>

export const readRetention = async (db: Executor): Promise<RetentionSettings> => retentionSchema.parse((await getSetting<unknown>(db, 'privacy.retention')) ?? {})

/** Where Meta keeps message content (WhatsApp Manager setting): decides the transfer in the Art. 30 record (GDPR-44). */
export const metaStorageSchema = z.enum(['default', 'local-eu', 'no-storage'])
export type MetaStorage = z.infer<typeof metaStorageSchema>
export const readMetaStorage = async (db: Executor): Promise<MetaStorage> => metaStorageSchema.catch('default').parse(await getSetting<unknown>(db, 'privacy.meta_storage'))

/**
 * Strict EU mode (GDPR-44): Meta must keep data at rest in the EU or not at all (Local Storage,
 * No Storage), and the app offers no link to a service outside the EU (the map link of a shared
 * location). Off by default: Meta's default storage is lawful under the Data Privacy Framework.
 */
export const readStrictEu = async (db: Executor): Promise<boolean> => (await getSetting<unknown>(db, 'privacy.strict_eu')) === true

/** The data-protection officer (Art. 37), if there is one. */
export const dpoSchema = z.object({ name: z.string().trim().min(2).max(200), email: z.email().max(320), address: z.string().trim().max(500).optional() })
export type Dpo = z.infer<typeof dpoSchema>

/** Years of tax retention per class; 0 for classes without a retention duty. */
export function retentionYears(r: RetentionSettings, cls: (typeof RETENTION_CLASSES)[number]): number {
  return cls === 'handelsbrief' ? r.handelsbriefYears : cls === 'buchungsbeleg' ? r.buchungsbelegYears : cls === 'buch' ? r.buchYears : 0
}

/**
 * Retention runs from the end of the calendar year of the record (§ 147(4) AO, § 257(5) HGB), the
 * year as the company lives it (Europe/Berlin): the last day it must be kept.
 */
export const retainedUntil = (timestamp: string, years: number): string => `${Number(localYear(timestamp)) + years}-12-31`
