/** Current time as the ISO-8601 UTC string with milliseconds that every table stores. */
export const nowIso = (): string => new Date().toISOString()

export const isoPlus = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString()

/** Cloud API timestamps are unix seconds as strings. */
export const fromUnixSeconds = (s: string | number | undefined): string | undefined => {
  const n = typeof s === 'number' ? s : Number.parseInt(s ?? '', 10)
  return Number.isFinite(n) && n > 0 ? new Date(n * 1000).toISOString() : undefined
}

export const HOUR = 60 * 60 * 1000
