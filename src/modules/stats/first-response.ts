/** One message as the response-time computation sees it. */
export type TimelineMessage = { conversationId: string; at: number; inbound: boolean; answeredBy: string | null }

/**
 * First response times: a customer turn starts with the first customer message no agent has
 * answered yet and ends with the next message an agent wrote. Automatic answers (greeting, away,
 * confirmations) are not responses. Messages must be ordered by conversation, then time.
 */
export function responseTimes(messages: Iterable<TimelineMessage>): { askedAt: number; seconds: number; answeredBy: string }[] {
  const out: { askedAt: number; seconds: number; answeredBy: string }[] = []
  let conversation = ''
  let waitingSince: number | null = null
  for (const m of messages) {
    if (m.conversationId !== conversation) {
      conversation = m.conversationId
      waitingSince = null
    }
    if (m.inbound) waitingSince ??= m.at
    else if (m.answeredBy !== null && waitingSince !== null) {
      out.push({ askedAt: waitingSince, seconds: (m.at - waitingSince) / 1000, answeredBy: m.answeredBy })
      waitingSince = null
    }
  }
  return out
}

/** The p-quantile (0..1) by the nearest-rank method; null for no values. */
export function quantile(values: number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!
}
