import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/database.js'
import { migrateTo } from '../src/db/migrate.js'
import { startServer } from '../src/main.js'
import { createApiToken } from '../src/modules/auth/api-tokens.js'
import { insertUser } from '../src/modules/auth/users.repo.js'
import { DIALECT, removeTestDatabase, TEST_DATABASE_URL } from './helpers.js'

/** The last schema before statistics were kept as aggregates. */
const PREVIOUS = '2026-11-30T1700_privacy_tasks'
const at = (hh: number, mm: number) => `2026-10-05T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00.000Z`

describe(`${DIALECT}: statistics of messages stored before the upgrade`, () => {
  it('are built from the existing messages and resolutions when the new release starts', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-stats-upgrade-'))
    const schema = TEST_DATABASE_URL ? `t_${randomBytes(6).toString('hex')}` : undefined
    const database = await openDatabase({ url: TEST_DATABASE_URL, dataDir, ...(schema ? { pgSchema: schema } : {}) })
    let server: Awaited<ReturnType<typeof startServer>> | undefined
    try {
      await migrateTo(database, PREVIOUS)
      const { db } = database
      const stamp = at(8, 0)
      await db.insertInto('channels').values({ id: 'ch-old', waba_id: 'waba', display_phone_number: null, paused_reason: null, paused_at: null, created_at: stamp, updated_at: stamp }).execute()
      await db.insertInto('contacts').values({ id: 'c-old', wa_id: '4915111000999', user_id: null, profile_name: 'Alt', first_contact_at: stamp, last_contact_at: stamp, created_at: stamp, updated_at: stamp } as never).execute()
      await db.insertInto('conversations').values({ id: 'v-old', contact_id: 'c-old', channel_id: 'ch-old', status: 'resolved', assignee_id: null, last_message_at: stamp, last_inbound_at: stamp, created_at: stamp, updated_at: stamp }).execute()
      const answerer = (await insertUser(db, { email: 'alt@example.com', name: 'Alt', role: 'agent', passwordHash: 'x' })).id
      const message = (id: string, direction: 'inbound' | 'outbound', status: string, timestamp: string) => ({
        id, conversation_id: 'v-old', wamid: `wamid.${id}`, direction, type: 'text', status, timestamp, content: '{}', key_id: null, context_wamid: null,
        error_code: null, error_title: null, error_detail: null, sent_by: direction === 'outbound' ? answerer : null, journal_seq: null, created_at: timestamp, updated_at: timestamp,
      })
      await db.insertInto('messages').values([message('m1', 'inbound', 'received', at(9, 0)), message('m2', 'outbound', 'read', at(9, 12)), message('m3', 'inbound', 'received', at(9, 20)), message('m4', 'outbound', 'failed', at(9, 50))] as never).execute()
      await db.insertInto('conversation_resolutions').values({ id: 'r-old', conversation_id: 'v-old', resolved_by: null, resolved_at: at(10, 0) }).execute()

      server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { logger: false, database })
      const { token } = await createApiToken(db, { name: 'dashboard', role: 'agent', createdBy: null })
      const s = (await server.app.inject({ method: 'GET', url: '/api/stats/summary?from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z', headers: { authorization: `Bearer ${token}` } })).json()
      expect(s).toMatchObject({ received: 2, sent: 1, delivered: 1, read: 1, failed: 1, conversationsResolved: 1 })
      // Turns: 09:00 → 09:12 (720 s), 09:20 → 09:50 (1,800 s); resolution 09:00 → 10:00.
      expect(s.firstResponse).toMatchObject({ count: 2, medianSeconds: 720, p90Seconds: 1800 })
      expect(s.resolution).toMatchObject({ count: 1, medianSeconds: 3600 })
      // …from the aggregates, not from the rows: they are there.
      expect(await db.selectFrom('stats_message_hours').select(['hour', 'direction', 'status', 'n']).where('channel_id', '=', 'ch-old').orderBy('status').execute()).toEqual([
        { hour: '2026-10-05T09', direction: 'outbound', status: 'failed', n: 1 },
        { hour: '2026-10-05T09', direction: 'outbound', status: 'read', n: 1 },
        { hour: '2026-10-05T09', direction: 'inbound', status: 'received', n: 2 },
      ])
    } finally {
      if (server) await server.close()
      else await database.destroy()
      await removeTestDatabase(dataDir, schema)
    }
  }, 60_000)
})
