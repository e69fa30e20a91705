#!/usr/bin/env node
// Postfach archive bundle verifier. Needs nothing but Node.js (18 or later).
//
//   node verify.mjs [folder]      (default: the folder this file is in)
//
// Checks, without trusting Postfach or its database:
//  1. archive/checkpoint.txt is signed by archive/public-key.pem (C2SP signed note, Ed25519);
//  2. every raw file in raw/ matches the commitment in its log leaf, and the leaf is in the signed
//     tree (RFC 6962 inclusion proof, archive/manifest.json);
//  3. every media file hashes to its name, and the logged media entry names that digest;
//  4. every message row of nachrichten.csv is contained in the raw entry it cites.
// Exit code 0: all intact. 1: a problem, each named on its own line.
import { createHash, createPublicKey, verify } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const sha256 = (...parts) => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}
const leafHash = (data) => sha256(Buffer.from([0]), data)
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r)

/** RFC 9162 section 2.1.3.2: does `path` prove leaf `index` in the tree of `size` with `root`? */
export function verifyInclusion(index, size, leaf, proof, root) {
  if (index < 0 || index >= size) return false
  let fn = index
  let sn = size - 1
  let r = leaf
  for (const p of proof) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r)
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2)
        sn = Math.floor(sn / 2)
      }
    } else r = nodeHash(r, p)
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && r.equals(root)
}

/** C2SP signed note: returns { origin, size, root } when a signature line by `name` verifies. */
export function openCheckpoint(note, name, publicKey) {
  const split = note.indexOf('\n\n')
  if (split < 0) return undefined
  const text = note.slice(0, split + 1)
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
  const keyId = sha256(Buffer.from(`${name}\n`), Buffer.from([1]), raw).subarray(0, 4)
  for (const line of note.slice(split + 2).split('\n')) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const sig = Buffer.from(m[2], 'base64')
    if (sig.length !== 68 || !sig.subarray(0, 4).equals(keyId)) continue
    if (!verify(null, Buffer.from(text), publicKey, sig.subarray(4))) continue
    const [origin, size, root] = text.split('\n')
    return { origin, size: Number(size), root: Buffer.from(root, 'base64') }
  }
  return undefined
}

function parseLeaf(bytes) {
  const m = /^postfach-leaf\/1\nseq (\d+)\nkind (\S+)\nat (\S+)\nstored-sha256 ([0-9a-f]{64})\ncommitment ([0-9a-f]{64})\n$/.exec(bytes.toString('utf8'))
  return m ? { seq: Number(m[1]), kind: m[2], at: m[3], storedSha256: m[4], commitment: m[5] } : undefined
}

/** Semicolon CSV with double-quote encapsulation and CRLF records, as index.xml declares. */
function parseCsv(text) {
  const rows = []
  let row = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ';') row.push(field), (field = '')
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++
    else field += c
  }
  if (field !== '' || row.length) row.push(field), rows.push(row)
  return rows
}

export function verifyBundle(dir) {
  const problems = []
  const read = (rel) => fs.readFileSync(path.join(dir, rel))
  const manifest = JSON.parse(read('archive/manifest.json').toString('utf8'))
  const publicKey = createPublicKey(read('archive/public-key.pem'))
  const checkpoint = openCheckpoint(read('archive/checkpoint.txt').toString('utf8'), manifest.keyName, publicKey)
  if (!checkpoint) return { ok: false, problems: ['archive/checkpoint.txt: the signature does not verify with archive/public-key.pem'], entries: 0, media: 0, messages: 0 }
  if (checkpoint.size !== manifest.treeSize || checkpoint.root.toString('hex') !== manifest.rootHash) problems.push('archive/manifest.json: tree size or root differ from the signed checkpoint')

  const entries = new Map()
  for (const e of manifest.entries) {
    const leafData = Buffer.from(e.leafData, 'base64')
    const leaf = parseLeaf(leafData)
    let bytes
    try {
      bytes = read(e.file)
    } catch {
      problems.push(`${e.file}: missing`)
      continue
    }
    entries.set(e.journalSeq, bytes)
    if (!leaf || leaf.seq !== e.journalSeq) problems.push(`${e.file}: the log leaf does not describe journal entry ${e.journalSeq}`)
    // The leaf commits to SHA-256(salt ‖ original); the salt comes with the bundle (empty for
    // entries that were stored as received).
    else if (sha256(Buffer.from(e.salt ?? '', 'hex'), bytes).toString('hex') !== leaf.commitment) problems.push(`${e.file}: the bytes differ from what the archive logged (journal entry ${e.journalSeq}, log entry ${e.leafIndex})`)
    const proof = e.path.map((h) => Buffer.from(h, 'hex'))
    if (!verifyInclusion(e.leafIndex, checkpoint.size, leafHash(leafData), proof, checkpoint.root)) problems.push(`${e.file}: log entry ${e.leafIndex} is not in the signed tree`)
  }
  for (const m of manifest.media) {
    let bytes
    try {
      bytes = read(m.file)
    } catch {
      problems.push(`${m.file}: missing`)
      continue
    }
    if (sha256(bytes).toString('hex') !== m.sha256) problems.push(`${m.file}: the bytes differ from their logged digest (media ${m.mediaId})`)
    const logged = entries.get(m.journalSeq)
    if (!logged || !logged.toString('utf8').includes(`"sha256":"${m.sha256}"`)) problems.push(`${m.file}: no logged entry names this digest (media ${m.mediaId})`)
  }
  const csv = parseCsv(read('nachrichten.csv').toString('utf8'))
  const header = csv[0] ?? []
  const col = (name) => header.indexOf(name)
  let messages = 0
  for (const r of csv.slice(1)) {
    messages++
    const seq = Number(r[col('journal_seq')])
    const wamid = r[col('wamid')]
    const raw = entries.get(seq)
    if (!raw) problems.push(`nachrichten.csv: message ${r[col('nachricht_id')]} cites journal entry ${seq}, which the bundle does not contain`)
    else if (wamid && !raw.toString('utf8').includes(wamid)) problems.push(`nachrichten.csv: message ${r[col('nachricht_id')]} is not in journal entry ${seq}`)
  }
  return { ok: problems.length === 0, problems, entries: manifest.entries.length, media: manifest.media.length, messages }
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url))) {
  const dir = path.resolve(process.argv[2] ?? path.dirname(fileURLToPath(import.meta.url)))
  const report = verifyBundle(dir)
  for (const p of report.problems) console.log(`FEHLER ${p}`)
  console.log(`${report.entries} Journaleinträge, ${report.media} Mediendateien, ${report.messages} Nachrichten geprüft.`)
  console.log(report.ok ? 'Das Archiv ist unverändert und vollständig im signierten Protokoll enthalten.' : 'Das Archiv ist NICHT unverändert.')
  process.exit(report.ok ? 0 : 1)
}
