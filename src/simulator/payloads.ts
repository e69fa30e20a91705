import { createHash, randomBytes } from 'node:crypto'

/** Builders for Meta-shaped webhook envelopes (shapes as in shared/whatsapp-fixtures). */
export type SimIdentity = { phoneNumberId: string; wabaId: string; displayPhoneNumber: string }

export const newWamid = (): string => 'wamid.' + randomBytes(24).toString('base64')
export const unixNow = (): string => String(Math.floor(Date.now() / 1000))

export function messagesEnvelope(id: SimIdentity, value: Record<string, unknown>) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: id.wabaId,
        changes: [
          {
            value: { messaging_product: 'whatsapp', metadata: { display_phone_number: id.displayPhoneNumber, phone_number_id: id.phoneNumberId }, ...value },
            field: 'messages',
          },
        ],
      },
    ],
  }
}

export type Customer = { waId: string; userId: string; name: string }

export function inboundMessage(id: SimIdentity, customer: Customer, type: string, content: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const wamid = newWamid()
  const payload = messagesEnvelope(id, {
    contacts: [{ profile: { name: customer.name }, wa_id: customer.waId, user_id: customer.userId }],
    messages: [{ from: customer.waId, from_user_id: customer.userId, id: wamid, timestamp: unixNow(), type, [type]: content, ...extra }],
  })
  return { wamid, payload }
}

export function statusEvent(
  id: SimIdentity,
  s: { wamid: string; status: string; recipient: string; byUserId: boolean; bizOpaque?: string | undefined; errors?: unknown[]; category?: string },
) {
  const status: Record<string, unknown> = {
    id: s.wamid,
    status: s.status,
    timestamp: unixNow(),
    ...(s.byUserId ? { recipient_user_id: s.recipient } : { recipient_id: s.recipient }),
    ...(s.bizOpaque ? { biz_opaque_callback_data: s.bizOpaque } : {}),
  }
  if (s.errors) status.errors = s.errors
  else if (s.status === 'sent') status.pricing = { billable: s.category !== 'service', pricing_model: 'PMP', type: s.category === 'service' ? 'free_customer_service' : 'regular', category: s.category ?? 'service' }
  return messagesEnvelope(id, { statuses: [status] })
}

/** Stable fake BSUID for a simulated customer number. */
export const simulatedUserId = (waId: string): string =>
  'DE.' + BigInt('0x' + createHash('sha256').update(waId).digest('hex').slice(0, 16)).toString().padStart(20, '0')
