import { z } from 'zod'
import type { Executor } from '../../db/database.js'
import { getSetting } from '../settings/settings.repo.js'

/** Meta's business verticals (whatsapp-cloud-api.md §7). */
export const VERTICALS = ['AUTO', 'BEAUTY', 'APPAREL', 'EDU', 'ENTERTAIN', 'EVENT_PLAN', 'FINANCE', 'GROCERY', 'GOVT', 'HOTEL', 'HEALTH', 'NONPROFIT', 'PROF_SERVICES', 'RETAIL', 'TRAVEL', 'RESTAURANT', 'OTHER'] as const

const httpUrl = z.url({ protocol: /^https?$/ })

/**
 * The provider identification (Impressum, § 5 DDG): a link to it or its text. Kept by Postfach,
 * since WhatsApp's profile has no field for it, and sent to customers who ask with „Impressum“.
 */
const legalNotice = z.union([
  z.object({ url: httpUrl.max(500) }).strict(),
  z.object({ text: z.string().trim().min(20, 'the provider identification: name, address, contact, register and VAT id').max(2000) }).strict(),
])

/** The fields WhatsApp shows, within Meta's limits, plus the legal notice. */
export const businessProfileSchema = z.object({
  about: z.string().trim().min(1).max(139),
  description: z.string().trim().max(512).default(''),
  address: z.string().trim().max(256).default(''),
  email: z.union([z.email().max(128), z.literal('')]).default(''),
  websites: z.array(httpUrl.max(256)).max(2).default([]),
  vertical: z.enum(VERTICALS).nullable().default(null),
  legalNotice: legalNotice.nullable(),
})
export type BusinessProfile = z.infer<typeof businessProfileSchema>

export const readBusinessProfile = (db: Executor) => getSetting<BusinessProfile>(db, 'business.profile')

/** The answer to „Impressum“; undefined while no legal notice is kept. */
export function legalNoticeReply(p: BusinessProfile | undefined): string | undefined {
  const n = p?.legalNotice
  if (!n) return undefined
  return 'url' in n ? `Impressum: ${n.url}` : `Impressum\n\n${n.text}`
}
