// npm run bench [-- --seconds 10 --only ingest|send|inbox|stats|archive --engine sqlite|postgres --messages 100000 --conversations 50000 --leaves 1000000 --export-messages 100000 --stats-messages 1000000]
// Benchmarks measure Postfach against a floor in the same run; see README "Performance".
import { parseArgs } from 'node:util'
import type { Engine } from './bench-db.js'
import { benchIngest, formatIngest } from './ingest.js'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, only: { type: 'string' }, messages: { type: 'string', default: '100000' }, conversations: { type: 'string', default: '50000' }, leaves: { type: 'string', default: '1000000' }, 'export-messages': { type: 'string', default: '100000' }, 'stats-messages': { type: 'string', default: '1000000' }, engine: { type: 'string' } } })
const pgUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const seconds = Number(values.seconds)
// Both engines unless --engine names one (for example to compare two versions on PostgreSQL alone).
const ENGINES: Engine[] = ['sqlite', 'postgres']
const engines = ENGINES.filter((e) => !values.engine || e === values.engine)
if (engines.length === 0) throw new Error(`--engine: sqlite or postgres, not "${values.engine}"`)

console.log(`Postfach benchmarks on ${process.platform} ${process.arch}, Node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`)
if (!values.only || values.only === 'ingest') {
  console.log(`bench/ingest: signed text webhooks, ${seconds} s per phase\n`)
  console.log(formatIngest(await benchIngest({ seconds, engines, pgUrl })))
  console.log()
}
if (!values.only || values.only === 'send') {
  const { benchSend, formatSend } = await import('./send.js')
  const messages = Number(values.messages)
  console.log(`bench/send: ${messages} queued messages against the simulator\n`)
  console.log(formatSend(await benchSend({ messages, limits: [80, 250, 1000] })))
}
if (!values.only || values.only === 'inbox') {
  const { benchInbox, formatInbox, INBOX_GOALS } = await import('./inbox.js')
  const conversations = Number(values.conversations)
  console.log(`\nbench/inbox: ${conversations} conversations × 20 messages, 200 requests per query, through the HTTP API and directly on the database\n`)
  console.log(formatInbox(await benchInbox({ conversations, perConversation: 20, samples: 200, engines, pgUrl, log: (s) => console.error(s) }), INBOX_GOALS))
}
if (!values.only || values.only === 'stats') {
  const { benchStats, formatStats } = await import('./stats.js')
  const conversations = Math.round(Number(values['stats-messages']) / 20)
  console.log(`\nbench/stats: the statistics dashboard over ${conversations * 20} messages (a year), 20 requests each\n`)
  console.log(formatStats(await benchStats({ conversations, perConversation: 20, samples: 20, engines, pgUrl, log: (s) => console.error(s) })))
}
if (!values.only || values.only === 'archive') {
  const { benchArchive, formatArchive } = await import('./archive.js')
  const leaves = Number(values.leaves)
  console.log(`\nbench/archive: the Merkle log through ingest (${seconds} s of webhooks) and on a journal of ${leaves} entries\n`)
  console.log(formatArchive(await benchArchive({ leaves, seconds, exportMessages: Number(values['export-messages']), engines, pgUrl, log: (s) => console.error(s) })))
}
