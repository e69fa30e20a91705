import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openDatabase } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { DataKeys } from '../src/modules/archive/data-keys.js'
import { MessageVault } from '../src/modules/inbox/message-vault.js'
import { loadSecretBox } from '../src/platform/crypto/secret-box.js'
import { newId } from '../src/platform/ids.js'
import { startSimulatorServer } from '../src/simulator/index.js'
import { freePort, ServerProcess } from '../test/process.js'

const PHONE_NUMBER_ID = '109876543210987'

/** Writes `n` queued messages (one per recipient, as a campaign would) with their send jobs. */
async function queueMessages(dataDir: string, n: number) {
  const database = await openDatabase({ dataDir })
  await migrateToLatest(database)
  // Contents and numbers sealed at rest as the app stores them, so the server's start has nothing to seal.
  const box = loadSecretBox({ keyFile: undefined, dataDir })
  const vault = new MessageVault(new DataKeys(box, dataDir), box)
  const now = new Date().toISOString()
  const BATCH = 500
  for (let start = 0; start < n; start += BATCH) {
    await database.db.transaction().execute(async (tx) => {
      const contacts = [], conversations = [], messages = [], jobs = []
      for (let i = start; i < Math.min(n, start + BATCH); i++) {
        const contactId = newId()
        const conversationId = newId()
        const messageId = newId()
        contacts.push({ id: contactId, wa_id: `4916${String(i).padStart(9, '0')}`, user_id: null, profile_name: null, first_contact_at: now, last_contact_at: now, created_at: now, updated_at: now })
        conversations.push({ id: conversationId, contact_id: contactId, channel_id: PHONE_NUMBER_ID, status: 'open' as const, assignee_id: null, last_message_at: now, last_inbound_at: null, created_at: now, updated_at: now })
        messages.push({ contactId, row: { id: messageId, conversation_id: conversationId, wamid: null, direction: 'outbound' as const, type: 'template', status: 'queued' as const, timestamp: now, content: JSON.stringify({ type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } }), key_id: null, context_wamid: null, error_code: null, error_title: null, error_detail: null, sent_by: null, journal_seq: null, created_at: now, updated_at: now } })
        jobs.push({ id: newId(), kind: 'message.send', group_key: conversationId, payload: JSON.stringify({ messageId }), state: 'queued' as const, run_at: now, attempts: 0, lease_until: null, last_error: null, created_at: now, updated_at: now })
      }
      // Numbers sealed too (the send path opens them); not entered for search, which this does not measure.
      for (const c of contacts) Object.assign(c, await vault.details.identifiers(tx, c.id, { waId: c.wa_id, userId: null }))
      await tx.insertInto('contacts').values(contacts).execute()
      await tx.insertInto('conversations').values(conversations).execute()
      await vault.insert(tx, messages)
      await tx.insertInto('jobs').values(jobs).execute()
    })
  }
  await database.destroy()
}

/** Sends in each second from the first one (BENCH_SEND_HISTOGRAM=1 prints them: warm-up, steady rate). */
function perSecond(times: number[]): number[] {
  const first = Math.min(...times)
  const counts: number[] = []
  for (const t of times) {
    const second = Math.floor((t - first) / 1000)
    counts[second] = (counts[second] ?? 0) + 1
  }
  return Array.from(counts, (c) => c ?? 0)
}

/** The highest number of sends in any 1,000 ms window. */
function maxPerSecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b)
  let best = 0
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= 1000) j++
    best = Math.max(best, i - j + 1)
  }
  return best
}

export type SendRow = { limit: number; messages: number; seconds: number; rate: number; maxWindow: number; refused: number }

export async function benchSend(o: { messages: number; limits: number[] }): Promise<SendRow[]> {
  const rows: SendRow[] = []
  for (const limit of o.limits) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-bench-send-'))
    await queueMessages(dataDir, o.messages)
    const port = await freePort()
    const token = randomBytes(8).toString('hex')
    // The simulator enforces Meta's limit: any excess shows up as 130429 refusals.
    const sim = await startSimulatorServer({ appSecret: 'bench', accessToken: token, webhookUrl: () => `http://127.0.0.1:${port}/webhooks/whatsapp`, behaviour: { throughputPerSecond: limit, emitStatuses: false } })
    const server = new ServerProcess(port, {
      DATA_DIR: dataDir,
      WHATSAPP_APP_SECRET: 'bench',
      WHATSAPP_VERIFY_TOKEN: 'bench',
      WHATSAPP_ACCESS_TOKEN: token,
      WHATSAPP_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
      WHATSAPP_BUSINESS_ACCOUNT_ID: '102938475610293',
      WHATSAPP_API_BASE_URL: sim.baseUrl,
      WHATSAPP_MESSAGES_PER_SECOND: String(limit),
    })
    await server.start()
    const deadline = Date.now() + (o.messages / limit) * 1000 * 2 + 30_000
    while (sim.state.sent.length < o.messages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
    await server.kill()
    await sim.close()
    const times = sim.state.sent.map((s) => s.at)
    if (process.env.BENCH_SEND_HISTOGRAM) console.error(`sends per second: ${perSecond(times).join(' ')}`)
    const first = Math.min(...times)
    const last = Math.max(...times)
    const seconds = (last - first) / 1000
    rows.push({ limit, messages: times.length, seconds, rate: (times.length - 1) / seconds, maxWindow: maxPerSecond(times), refused: sim.state.refusals.get(130429) ?? 0 })
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
  return rows
}

export function formatSend(rows: SendRow[]): string {
  const lines = ['| limit (msg/s) | messages sent | seconds | achieved msg/s | % of limit | max in any 1 s window | 130429 refusals |', '|---|---|---|---|---|---|---|']
  for (const r of rows) lines.push(`| ${r.limit} | ${r.messages} | ${r.seconds.toFixed(1)} | ${r.rate.toFixed(1)} | ${((r.rate / r.limit) * 100).toFixed(1)} % | ${r.maxWindow} | ${r.refused} |`)
  return lines.join('\n')
}
