/** Message counts of a period the plain way, from the raw rows (reactions left out), for tests to compare the statistics with. */
export function countsFromRows(rows: { timestamp: string; direction: string; status: string; type: string }[], from: string, to: string) {
  const inPeriod = rows.filter((m) => m.type !== 'reaction' && m.timestamp >= from && m.timestamp < to)
  const out = inPeriod.filter((m) => m.direction === 'outbound')
  return {
    received: inPeriod.filter((m) => m.direction === 'inbound').length,
    sent: out.filter((m) => ['sent', 'delivered', 'read'].includes(m.status)).length,
    delivered: out.filter((m) => ['delivered', 'read'].includes(m.status)).length,
    read: out.filter((m) => m.status === 'read').length,
    failed: out.filter((m) => m.status === 'failed').length,
  }
}
