import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../src/db/database.js'
import { migrateTo, migrateToLatest } from '../src/db/migrate.js'
import { DIALECT, removeTestDatabase, TEST_DATABASE_URL } from './helpers.js'

/** The last schema that kept a file's name in plain text beside the sealed message. */
const PREVIOUS = '2026-12-01T1600_conversation_contact_index'

describe(`${DIALECT}: file names stored before the upgrade`, () => {
  it('are removed from the media table (the sealed message keeps the name); the media stay', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-media-upgrade-'))
    const schema = TEST_DATABASE_URL ? `t_${randomBytes(6).toString('hex')}` : undefined
    const database = await openDatabase({ url: TEST_DATABASE_URL, dataDir, ...(schema ? { pgSchema: schema } : {}) })
    try {
      await migrateTo(database, PREVIOUS)
      const now = new Date().toISOString()
      const row = { id: 'media-old', direction: 'inbound', state: 'stored', mime_type: 'application/pdf', filename: 'Kuendigung-Erika-Mustermann.pdf', size: 3, sha256: 'ab'.repeat(32), expected_sha256: null, graph_media_id: null, graph_uploaded_at: null, last_error: null, created_at: now, updated_at: now }
      await database.db.insertInto('media').values(row as never).execute()
      expect(await migrateToLatest(database)).toContain('2026-12-02T0500_media_without_filename')
      const after = await sql<Record<string, unknown>>`select * from media`.execute(database.db)
      expect(after.rows).toHaveLength(1)
      expect(after.rows[0]).not.toHaveProperty('filename')
      expect(after.rows[0]).toMatchObject({ id: 'media-old', mime_type: 'application/pdf', sha256: 'ab'.repeat(32) })
      expect(JSON.stringify(after.rows)).not.toContain('Erika')
    } finally {
      await database.destroy()
      await removeTestDatabase(dataDir, schema)
    }
  })
})
