import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../src/db/database.js'
import { DIALECT, startTestServer, type TestServer } from './helpers.js'

type Index = { table: string; name: string; unique: boolean; columns: string[] }

/** Every full (not partial) index with its key columns in order, a descending one marked. */
async function indexes(database: DatabaseHandle): Promise<Index[]> {
  const db = database.db
  if (database.dialect === 'postgres') {
    const { rows } = await sql<{ table: string; name: string; def: string }>`select tablename as table, indexname as name, indexdef as def from pg_indexes where schemaname = current_schema()`.execute(db)
    return rows
      .filter((r) => !r.def.includes(' WHERE '))
      .map((r) => ({ table: r.table, name: r.name, unique: r.def.startsWith('CREATE UNIQUE'), columns: /USING \w+ \((.*)\)$/.exec(r.def)![1]!.split(', ').map((c) => c.replaceAll('"', '').toLowerCase()) }))
  }
  const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)
  const out: Index[] = []
  for (const { name: table } of tables.rows) {
    const list = await sql<{ name: string; unique: number; partial: number }>`select * from pragma_index_list(${table})`.execute(db)
    for (const ix of list.rows.filter((i) => !i.partial)) {
      const cols = await sql<{ name: string; desc: number; key: number }>`select * from pragma_index_xinfo(${ix.name})`.execute(db)
      out.push({ table, name: ix.name, unique: ix.unique === 1, columns: cols.rows.filter((c) => c.key === 1).map((c) => `${c.name.toLowerCase()}${c.desc ? ' desc' : ''}`) })
    }
  }
  return out
}

describe(`${DIALECT}: the schema's indexes`, () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.stop())

  it('has no index whose columns begin another index of its table (it answers the same lookups and costs a write per row change)', async () => {
    const all = await indexes(server.database)
    expect(all.some((i) => i.table === 'conversations' && i.columns.join() === 'contact_id,channel_id')).toBe(true) // the listing works
    const redundant = all.flatMap((a) =>
      a.unique ? [] : all.filter((b) => b.table === a.table && b.name !== a.name && b.columns.length > a.columns.length && a.columns.every((c, i) => b.columns[i] === c)).map((b) => `${a.table}: ${a.name} (${a.columns.join(', ')}) begins ${b.name} (${b.columns.join(', ')})`),
    )
    expect(redundant).toEqual([])
  })
})
