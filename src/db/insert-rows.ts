import { CompiledQuery, type Insertable, PostgresAdapter } from 'kysely'
import type { Executor } from './database.js'
import type { Database } from './schema.js'

/** Values per statement: under both engines' parameter limits (SQLite 32,766; PostgreSQL 65,535). */
const MAX_VALUES = 30_000

type Table = keyof Database & string

/**
 * A multi-row INSERT written here instead of by Kysely's builder, for the ingest path: the
 * builder makes and freezes a node for every value and compiles the tree on each call, which for
 * a group of webhooks (hundreds of values per statement) cost more CPU than the database spent
 * storing the rows. Rows are split into statements under the parameter limits.
 *
 * The columns are those the rows name (all of them, so none is dropped); a column some rows leave
 * out is stored as null for them: use it for tables whose only default is null.
 * `tail` follows the VALUES list as it is (`on conflict … do nothing`, `returning …`): constant
 * SQL only, never a value. The rows of every statement's RETURNING come back in one list.
 */
export async function insertRows<T extends Table, R = never>(db: Executor, table: T, rows: readonly Insertable<Database[T]>[], tail = ''): Promise<R[]> {
  const out: R[] = []
  for (const statement of insertStatements(table, rows, tail, db.getExecutor().adapter instanceof PostgresAdapter)) {
    for (const r of (await db.executeQuery<R>(statement)).rows) out.push(r)
  }
  return out
}

/** The statements `insertRows` runs (none for no rows), for a caller that embeds one in a larger statement. */
export function insertStatements<T extends Table>(table: T, rows: readonly Insertable<Database[T]>[], tail: string, postgres: boolean): CompiledQuery[] {
  if (rows.length === 0) return []
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))]
  const head = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values `
  const perStatement = Math.max(1, Math.floor(MAX_VALUES / columns.length))
  const statements: CompiledQuery[] = []
  for (let start = 0; start < rows.length; start += perStatement) {
    const parameters: unknown[] = []
    const tuples: string[] = []
    for (const row of rows.slice(start, start + perStatement)) {
      const marks: string[] = []
      for (const column of columns) {
        parameters.push((row as Record<string, unknown>)[column] ?? null)
        marks.push(postgres ? `$${parameters.length}` : '?')
      }
      tuples.push(`(${marks.join(', ')})`)
    }
    statements.push(CompiledQuery.raw(`${head}${tuples.join(', ')}${tail ? ` ${tail}` : ''}`, parameters))
  }
  return statements
}
