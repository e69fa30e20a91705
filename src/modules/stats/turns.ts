export type TurnMessage = { timestamp: string; direction: string; sent_by: string | null }
export type Turn = { askedAt: string; answeredAt: string | null; answeredBy: string | null }

/**
 * A conversation's customer turns. A turn starts with a customer message that follows an agent's
 * message or none, and ends with the next message an agent wrote. `rows` are in time order,
 * without reactions and automatic answers (which answer nobody); the message before the first
 * row, if any, is an agent's.
 */
export function customerTurns(rows: TurnMessage[]): Turn[] {
  const turns: Turn[] = []
  let waiting: Turn | null = null
  let previous: string | null = null
  for (const m of rows) {
    if (m.direction === 'inbound' && previous !== 'inbound') {
      waiting = { askedAt: m.timestamp, answeredAt: null, answeredBy: null }
      turns.push(waiting)
    } else if (m.direction === 'outbound' && waiting) {
      waiting.answeredAt = m.timestamp
      waiting.answeredBy = m.sent_by
      waiting = null
    }
    previous = m.direction
  }
  return turns
}
