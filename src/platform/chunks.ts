/**
 * Slices of a list run one after another (in one transaction, in order), so that `in (…)` lists
 * and multi-row inserts stay under both engines' parameter limits (SQLite 32,766; PostgreSQL 65,535).
 */
export async function inChunks<T>(items: T[], run: (chunk: T[]) => Promise<unknown>, size = 500): Promise<void> {
  for (let i = 0; i < items.length; i += size) await run(items.slice(i, i + size))
}

/** As `inChunks`, collecting the rows each slice returns. */
export async function collectChunks<T, R>(items: T[], run: (chunk: T[]) => Promise<R[]>, size = 500): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += size) for (const row of await run(items.slice(i, i + size))) out.push(row)
  return out
}

/**
 * Runs a step that handles up to `batch` rows in its own transaction until a step handles fewer
 * (a start-up pass over rows an older release wrote). Returns how many rows in all.
 */
export async function untilFewerThan(batch: number, step: () => Promise<number>): Promise<number> {
  for (let done = 0; ; ) {
    const n = await step()
    done += n
    if (n < batch) return done
  }
}
