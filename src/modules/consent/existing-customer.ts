import type { Executor } from '../../db/database.js'
import type { GraphTemplate } from '../whatsapp/graph-client.js'

/**
 * The existing-customer exemption (§ 7(3) UWG, UWG-7-3). Advertising without consent is allowed
 * only while all four hold: the number came from the customer with a sale, the advertising is for
 * the company's own similar goods, the customer has not objected, and they were told at
 * collection — and are told with every message — that they may object at any time at no cost
 * beyond the basic transmission rates. The first two are declared when the basis is recorded
 * (with the sale it rests on and the notice given); an objection or withdrawal for the purpose
 * after that ends it, and every message sent on it must carry the notice (`hasObjectionNotice`).
 */
export type ExistingCustomerBasis = { id: string; purpose: string; saleReference: string; soldAt: string; noticeText: string; recordedAt: string; recordedBy: string | null; active: boolean }

/** The contact's bases, newest first per purpose, each saying whether it still holds. */
export async function basesOf(db: Executor, contactId: string, suppressedAt: string | undefined): Promise<ExistingCustomerBasis[]> {
  const [rows, endings] = await Promise.all([
    db.selectFrom('existing_customer_bases').selectAll().where('contact_id', '=', contactId).orderBy('recorded_at', 'desc').execute(),
    db.selectFrom('consent_events').select(['purpose', 'recorded_at']).where('contact_id', '=', contactId).where('kind', 'in', ['withdrawn', 'objected']).execute(),
  ])
  // By when we learnt of it: a customer's message carries whole seconds, and an objection we hear of after recording ends the basis.
  const endedAt = (purpose: string) => endings.filter((e) => e.purpose === purpose).reduce((max, e) => (e.recorded_at > max ? e.recorded_at : max), suppressedAt ?? '')
  const seen = new Set<string>()
  return rows.map((r) => {
    const latest = !seen.has(r.purpose)
    seen.add(r.purpose)
    return { id: r.id, purpose: r.purpose, saleReference: r.sale_reference, soldAt: r.sold_at, noticeText: r.notice_text, recordedAt: r.recorded_at, recordedBy: r.recorded_by, active: latest && r.recorded_at > endedAt(r.purpose) }
  })
}

const OBJECTION = /widersprech|widerspruch|object|opt[\s-]?out/i
const COSTS = /kosten|basistarif|tarif|free of charge|no cost|at no charge|costs?\b/i

/** Whether the template tells the recipient they may object at any time, at no cost beyond the basic rates (§ 7(3) Nr. 4 UWG). */
export function hasObjectionNotice(template: GraphTemplate): boolean {
  return template.components.some((c) => typeof c.text === 'string' && OBJECTION.test(c.text) && COSTS.test(c.text))
}
