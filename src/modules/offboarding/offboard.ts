import fs from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { zipSync } from 'fflate'
import type { DatabaseHandle } from '../../db/database.js'
import { ArchiveLog } from '../archive/archive-log.js'
import type { JournalSealer } from '../archive/journal-sealer.js'
import type { MessageVault } from '../inbox/message-vault.js'
import { openCorrections } from '../contacts/contact-details.js'
import type { ArchiveKey } from '../archive/signing-key.js'
import { RETENTION_CLASSES } from '../privacy/retention-settings.js'
import { buildZ3Export } from '../archive/z3-export.js'
import type { MediaStore } from '../media/media-store.js'
import { getSetting } from '../settings/settings.repo.js'
import type { CompanySettings } from '../settings/settings.routes.js'

export type OffboardReport = {
  export: { file: string; messages: number; tables: number; rows: number }
  purge: { tablesDropped: number; tablesRemaining: string[]; rowsRemaining: number; filesDeleted: number; filesRemaining: string[] }
  keep: string
}

/** Every table of the installation in the current schema (PostgreSQL) or file (SQLite). */
async function tablesOf(database: DatabaseHandle): Promise<string[]> {
  const rows =
    database.dialect === 'postgres'
      ? await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`.execute(database.db)
      : await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by 1`.execute(database.db)
  return rows.rows.map((r) => r.name)
}

const jsonRow = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString('base64') : typeof v === 'bigint' ? String(v) : v]))

/**
 * The end of the contract (GDPR-28 (3)(g): delete or return): the whole installation is returned
 * as one ZIP — the GoBD Z3 archive of every message (with checkpoints, proofs and the verifier)
 * and every table as JSON — then deleted: every table dropped, every file in `DATA_DIR` removed
 * (media, keys: backups made with them can no longer be opened). The report counts what is left:
 * nothing. Records under the company's own retention duty live on only in the export, which the
 * company keeps (escrow).
 */
export async function offboard(database: DatabaseHandle, o: { dataDir: string; exportFile: string; key: ArchiveKey; store: MediaStore; sealer: JournalSealer; vault: MessageVault }): Promise<OffboardReport> {
  const exportFile = path.resolve(o.exportFile)
  const log = new ArchiveLog(database, o.key, { checkpointEntries: 1_000_000, checkpointIntervalMs: 3_600_000, tsaUrl: undefined }, (err) => {
    throw err
  })
  const company = await getSetting<CompanySettings>(database.db, 'company')
  const z3 = await buildZ3Export(database.db, {
    selection: { from: '1970-01-01', to: '9999-12-01', classes: [...RETENTION_CLASSES] }, // everything (the bounds stay 4-digit years)
    log,
    key: o.key,
    store: o.store,
    sealer: o.sealer,
    vault: o.vault,
    supplier: { name: company?.name ?? 'Postfach', location: company?.address ?? '-' },
  })
  await log.stop()
  const files: Record<string, Uint8Array> = { 'archive-z3.zip': z3.zip }
  let rows = 0
  const tables = await tablesOf(database)
  for (const table of tables) {
    const all = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(database.db)).rows
    rows += all.length
    // Returned as the company wrote and received them: the message contents opened.
    const readable =
      table === 'messages'
        ? await o.vault.open(database.db, all as { id: string; content: string; key_id: string | null }[])
        : table === 'contacts'
          ? await o.vault.details.openRows(database.db, all as { id: string; profile_name: string | null; name_override: string | null }[])
          : table === 'contact_corrections'
            ? await openCorrections(database.db, o.vault.details, all as { contact_id: string; old_value: string | null; new_value: string }[])
            : all
    files[`tables/${table}.json`] = Buffer.from(JSON.stringify(readable.map(jsonRow), null, 1))
  }
  files['LIESMICH.txt'] = Buffer.from(
    'Vollständige Rückgabe der Postfach-Installation (Art. 28 Abs. 3 lit. g DSGVO).\n\n' +
      'archive-z3.zip: Datenträgerüberlassung (Z3) aller Nachrichten mit Prüfprogramm; tables/: jede Tabelle als JSON.\n' +
      'Aufzeichnungen mit Aufbewahrungspflicht (Handelsbriefe 6, Buchungsbelege 8, Bücher 10 Jahre) liegen nur noch hier: bitte so lange aufbewahren.\n',
  )
  fs.mkdirSync(path.dirname(exportFile), { recursive: true })
  fs.writeFileSync(exportFile, zipSync(files, { level: 6 }), { mode: 0o600 })

  // Deleted: the tables, then every file of the installation (the export stays, wherever it is).
  if (database.dialect === 'postgres') {
    for (const table of tables) await sql`drop table if exists ${sql.table(table)} cascade`.execute(database.db)
    const functions = await sql<{ name: string }>`select p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = current_schema() and (p.proname like 'postfach_%' or p.proname like '%_append_only' or p.proname like '%_no_update' or p.proname like '%_no_delete')`.execute(database.db)
    for (const f of functions.rows) await sql`drop function if exists ${sql.id(f.name)} cascade`.execute(database.db)
  }
  const tablesRemaining = database.dialect === 'postgres' ? await tablesOf(database) : []
  let rowsRemaining = 0
  for (const table of tablesRemaining) rowsRemaining += Number((await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(database.db)).rows[0]!.n)
  await database.destroy()
  let filesDeleted = 0
  const remove = (p: string) => {
    if (path.resolve(p) === exportFile) return
    const stat = fs.lstatSync(p)
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(p)) remove(path.join(p, entry))
      if (path.resolve(p) !== path.resolve(o.dataDir) && fs.readdirSync(p).length === 0) fs.rmdirSync(p)
    } else {
      fs.rmSync(p)
      filesDeleted++
    }
  }
  if (fs.existsSync(o.dataDir)) remove(o.dataDir)
  const filesRemaining: string[] = []
  const walk = (p: string) => {
    for (const entry of fs.existsSync(p) ? fs.readdirSync(p) : []) {
      const full = path.join(p, entry)
      if (path.resolve(full) === exportFile) continue
      if (fs.statSync(full).isDirectory()) walk(full)
      else filesRemaining.push(path.relative(o.dataDir, full))
    }
  }
  walk(o.dataDir)
  return {
    export: { file: exportFile, messages: z3.messages, tables: tables.length, rows },
    // On SQLite the tables go with the database file in DATA_DIR: a file left behind would be listed.
    purge: { tablesDropped: tables.length - tablesRemaining.length, tablesRemaining, rowsRemaining, filesDeleted, filesRemaining },
    keep: 'Records under retention (Handelsbriefe 6, Buchungsbelege 8, Bücher 10 years) now exist only in the export: keep it for as long.',
  }
}
