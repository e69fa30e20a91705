import fs from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { createApiToken } from '../src/modules/auth/api-tokens.js'
import { listConversations } from '../src/modules/inbox/conversations.repo.js'
import { listMessages } from '../src/modules/inbox/messages.repo.js'
import { searchMessages, searchTerms } from '../src/modules/search/search.repo.js'
import { DataKeys } from '../src/modules/archive/data-keys.js'
import { MessageVault } from '../src/modules/inbox/message-vault.js'
import { loadSecretBox } from '../src/platform/crypto/secret-box.js'
import { hashPassword } from '../src/modules/auth/passwords.js'
import { insertUser } from '../src/modules/auth/users.repo.js'
import { launchBrowser } from '../test/e2e/browser.js'
import { freePort, ServerProcess } from '../test/process.js'
import { type Engine, withBenchDatabase } from './bench-db.js'
import { seedInbox } from './inbox-seed.js'

const ROOT = path.resolve(import.meta.dirname, '..')
const CHANNEL = '109876543210987'
const SEARCHES = ['rechnung', 'defekt garantie', 'überweisung', 'storno abholung', 'gutsch']

const p = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0
}
async function timed(n: number, run: (i: number) => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 5; i++) await run(i) // warm caches and statement plans
  const ms: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await run(i)
    ms.push(performance.now() - t)
  }
  return { p50: p(ms, 0.5), p95: p(ms, 0.95) }
}

/** Initial JavaScript of the web app (what index.html loads), gzip-compressed, in KB. */
export function bundleSize(): { file: string; gzipKb: number } {
  const dist = path.join(ROOT, 'web/dist')
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8')
  const src = /<script[^>]+src="\/?([^"]+)"/.exec(html)?.[1]
  if (!src) throw new Error('no script in web/dist/index.html: run npm run build')
  return { file: src, gzipKb: gzipSync(fs.readFileSync(path.join(dist, src))).length / 1024 }
}

export type InboxRow = { engine: string; query: string; http: { p50: number; p95: number }; db: { p50: number; p95: number } }

/**
 * First load of the inbox to interactive, in Chromium with a cold cache (a new browser context per
 * run): from the start of navigation until the app marks `inbox-interactive` (the first
 * conversations rendered and their handlers attached), read from the page's own clock.
 */
async function firstLoad(url: string, cookie: { name: string; value: string }, runs: number): Promise<{ p50: number; max: number }> {
  const browser = await launchBrowser()
  const ms: number[] = []
  try {
    for (let i = 0; i < runs + 1; i++) {
      const context = await browser.newContext({ locale: 'de-DE' })
      await context.addCookies([{ ...cookie, url }])
      const page = await context.newPage()
      await page.goto(url)
      await page.locator('.conversation').first().waitFor()
      const at = await page.evaluate(() => performance.getEntriesByName('inbox-interactive')[0]?.startTime ?? Number.NaN)
      if (i > 0) ms.push(at) // the first run warms the server, not the browser
      await context.close()
    }
  } finally {
    await browser.close()
  }
  return { p50: p(ms, 0.5), max: Math.max(...ms) }
}

export async function benchInbox(o: { conversations: number; perConversation: number; samples: number; engines: Engine[]; pgUrl: string | undefined; log: (s: string) => void }): Promise<{ rows: InboxRow[]; loads: { engine: string; p50: number; max: number }[] }> {
  const rows: InboxRow[] = []
  const loads: { engine: string; p50: number; max: number }[] = []
  for (const engine of o.engines) await withBenchDatabase(engine, o.pgUrl, async (handle, env) => {
    const t0 = performance.now()
    o.log(`${engine}: seeding ${o.conversations} conversations × ${o.perConversation} messages`)
    const box = loadSecretBox({ keyFile: undefined, dataDir: env.DATA_DIR! })
    const vault = new MessageVault(new DataKeys(box, env.DATA_DIR!), box)
    await seedInbox(handle, vault, { conversations: o.conversations, perConversation: o.perConversation, channelId: CHANNEL, log: o.log })
    o.log(`${engine}: seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s`)
    const { token } = await createApiToken(handle.db, { name: 'bench', role: 'agent', createdBy: null })
    await insertUser(handle.db, { email: 'bench@example.com', name: 'Bench Agent', role: 'agent', passwordHash: await hashPassword('bench-password-123') })
    const ids = (await handle.db.selectFrom('conversations').select('id').limit(2000).execute()).map((r) => r.id)

    const port = await freePort()
    const server = new ServerProcess(port, env)
    await server.start()
    const get = async (url: string) => {
      const res = await fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${token}` } })
      if (!res.ok) throw new Error(`${url} → ${res.status}`)
      return res.json() as Promise<{ nextCursor: string | null }>
    }
    const first = await get('/api/conversations?limit=50')
    const n = o.samples
    const add = (query: string, http: { p50: number; p95: number }, db: { p50: number; p95: number }) => rows.push({ engine, query, http, db })

    add(
      'conversation list, first page',
      await timed(n, () => get('/api/conversations?limit=50')),
      await timed(n, () => listConversations(handle.db, { limit: 50 })),
    )
    const cursor = first.nextCursor!
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string]
    add(
      'conversation list, next page',
      await timed(n, () => get(`/api/conversations?limit=50&cursor=${cursor}`)),
      await timed(n, () => listConversations(handle.db, { limit: 50, after: { at: decoded[0], id: decoded[1] } })),
    )
    add(
      'conversation list, longest waiting',
      await timed(n, () => get('/api/conversations?limit=50&order=waiting')),
      await timed(n, () => listConversations(handle.db, { limit: 50, order: 'waiting' })),
    )
    add(
      'search',
      await timed(n, (i) => get(`/api/search?q=${encodeURIComponent(SEARCHES[i % SEARCHES.length]!)}`)),
      await timed(n, (i) => searchMessages(handle.db, vault, searchTerms(SEARCHES[i % SEARCHES.length]!), { limit: 20 })),
    )
    add(
      'open conversation (last 50 messages)',
      await timed(n, (i) => get(`/api/conversations/${ids[i % ids.length]}/messages?limit=50`)),
      await timed(n, (i) => listMessages(handle.db, vault, { conversationId: ids[i % ids.length]!, limit: 50 })),
    )
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password-123' }) })
    const session = /postfach_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1]
    if (!session) throw new Error('bench login failed')
    loads.push({ engine, ...(await firstLoad(server.url, { name: 'postfach_session', value: session }, 10)) })
    await server.kill()
  })
  return { rows, loads }
}

export function formatInbox({ rows, loads }: Awaited<ReturnType<typeof benchInbox>>, goal: Record<string, number>): string {
  const f = (x: number) => x.toFixed(1).padStart(7)
  const lines = ['engine    query                                  HTTP p50   HTTP p95   DB p50   DB p95   goal (p95)']
  for (const r of rows) {
    const g = goal[r.query] ?? 0
    lines.push(`${r.engine.padEnd(9)} ${r.query.padEnd(38)} ${f(r.http.p50)} ms ${f(r.http.p95)} ms ${f(r.db.p50)} ${f(r.db.p95)}   < ${g} ms ${r.http.p95 < g ? 'met' : 'MISSED'}`)
  }
  for (const l of loads) lines.push(`${l.engine.padEnd(9)} first load of the inbox to interactive (cold cache, Chromium): p50 ${l.p50.toFixed(0)} ms, max ${l.max.toFixed(0)} ms (goal < 1000 ms) ${l.max < 1000 ? 'met' : 'MISSED'}`)
  const b = bundleSize()
  lines.push('', `web bundle: ${b.file} ${b.gzipKb.toFixed(1)} KB gzip (goal ≤ 300 KB) ${b.gzipKb <= 300 ? 'met' : 'MISSED'}`)
  return lines.join('\n')
}

export const INBOX_GOALS = { 'conversation list, first page': 20, 'conversation list, next page': 20, 'conversation list, longest waiting': 20, search: 50, 'open conversation (last 50 messages)': 20 }
