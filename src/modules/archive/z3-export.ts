import fs from 'node:fs'
import { stringify } from 'csv-stringify/sync'
import { zipSync } from 'fflate'
import type { Db } from '../../db/database.js'
import { collectChunks } from '../../platform/chunks.js'
import type { RetentionClass } from '../../db/schema.js'
import { messageText } from '../inbox/message-text.js'
import type { MessageVault } from '../inbox/message-vault.js'
import type { MediaStore } from '../media/media-store.js'
import { classOf } from '../privacy/erasure.js'
import { localDate } from '../privacy/deadlines.js'
import { readRetention, retainedUntil, retentionYears } from '../privacy/retention-settings.js'
import { type ArchiveLog, type CheckpointRow, latestCheckpoint } from './archive-log.js'
import { SOFTWARE_VERSION } from './releases.js'
import type { JournalSealer } from './journal-sealer.js'
import type { ArchiveKey } from './signing-key.js'
import { storedInclusionProofs } from './tree-store.js'

const asset = (name: string) => fs.readFileSync(new URL(`../../../assets/${name}`, import.meta.url))

export type Z3Selection = { from: string; to: string; contactId?: string | undefined; classes: RetentionClass[] }

/** Column of a table in index.xml and its CSV. */
type Column = { name: string; type: 'text' | 'number' | 'date'; description: string; key?: boolean }
type Table = { file: string; name: string; description: string; columns: Column[]; rows: (string | number)[][]; foreignKeys?: { column: string; references: string }[] }

const deDate = (d: string) => `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}`
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const CSV = { delimiter: ';', record_delimiter: '\r\n', quoted_string: true } as const

/**
 * The data handover for a tax audit (Z3, § 147(6) AO, GOBD-15): for a period (and optionally one
 * contact), the messages of the chosen tax-relevant classes as CSV tables described by index.xml
 * (Beschreibungsstandard, DTD shipped beside it), the raw Cloud API JSON and the media byte for
 * byte (GOBD-7), the signed checkpoint with an inclusion proof for every raw file, and the
 * standalone verifier (ARCH-5). Nothing outside the selection is in it (GOBD-11 c).
 */
export async function buildZ3Export(db: Db, o: { selection: Z3Selection; log: ArchiveLog; key: ArchiveKey; store: MediaStore; sealer: JournalSealer; vault: MessageVault; supplier: { name: string; location: string } }): Promise<{ zip: Uint8Array; messages: number; checkpoint: CheckpointRow }> {
  const { selection } = o
  const checkpoint = (await o.log.sync({ forceCheckpoint: true })) ?? (await latestCheckpoint(db))
  if (!checkpoint) throw new Error('the archive has no checkpoint')
  // With a TSA configured, the bundle's checkpoint carries its RFC 3161 time stamp.
  await o.log.anchorPending({ retryNow: true })
  const stamp = await db.selectFrom('archive_timestamps').select('response').where('checkpoint_size', '=', checkpoint.size).executeTakeFirst()
  const retention = await readRetention(db)
  // A day either side in UTC, then the Berlin calendar date decides.
  const lo = new Date(Date.parse(`${selection.from}T00:00:00Z`) - 86_400_000).toISOString()
  const hi = new Date(Date.parse(`${selection.to}T00:00:00Z`) + 2 * 86_400_000).toISOString()
  let q = db
    .selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select(['m.id', 'm.conversation_id', 'c.contact_id', 'c.channel_id', 'c.retention_class as conversation_class', 'm.wamid', 'm.direction', 'm.type', 'm.status', 'm.timestamp', 'm.content', 'm.key_id', 'm.retention_class', 'm.purpose', 'm.journal_seq'])
    .where('m.timestamp', '>=', lo)
    .where('m.timestamp', '<', hi)
    .where('m.journal_seq', 'is not', null)
    .orderBy('m.timestamp')
    .orderBy('m.id')
  if (selection.contactId) q = q.where('c.contact_id', '=', selection.contactId)
  const messages = (await o.vault.open(db, await q.execute()))
    .map((m) => ({ ...m, cls: classOf(m, m.conversation_class, retention.defaultClass), day: localDate(m.timestamp) }))
    .filter((m) => m.day >= selection.from && m.day <= selection.to && selection.classes.includes(m.cls))

  const messageIds = messages.map((m) => m.id)
  const wamids = messages.flatMap((m) => (m.wamid ? [m.wamid] : []))
  const statuses = await collectChunks(wamids, (w) => db.selectFrom('message_statuses').selectAll().where('wamid', 'in', w).orderBy('occurred_at').execute())
  const media = await collectChunks(messageIds, (ids) => db.selectFrom('media').select(['id', 'mime_type', 'size', 'sha256', 'journal_seq']).where('id', 'in', ids).where('state', '=', 'stored').execute())
  // A file's name is in its (sealed) message, as the Cloud API sent it; the media row keeps none.
  const withMedia = new Set(media.map((m) => m.id))
  const fileNames = new Map<string, string>()
  for (const m of messages) {
    if (!withMedia.has(m.id)) continue
    const name = (JSON.parse(m.content) as Record<string, { filename?: unknown } | undefined>)[m.type]?.filename
    if (typeof name === 'string') fileNames.set(m.id, name)
  }
  const conversationIds = [...new Set(messages.map((m) => m.conversation_id))]
  const conversations = await collectChunks(conversationIds, (ids) => db.selectFrom('conversations').select(['id', 'contact_id', 'channel_id', 'retention_class', 'created_at']).where('id', 'in', ids).execute())
  const contactIds = [...new Set(messages.map((m) => m.contact_id))]
  const contacts = await o.vault.details.openRows(db, await collectChunks(contactIds, (ids) => db.selectFrom('contacts').select(['id', 'wa_id', 'profile_name', 'name_override', 'first_contact_at', 'last_contact_at']).where('id', 'in', ids).execute()))

  // Every journal entry the rows rest on, with its leaf and proof against the checkpoint.
  const seqs = [...new Set([...messages.map((m) => Number(m.journal_seq)), ...statuses.map((s) => Number(s.journal_seq)), ...media.flatMap((m) => (m.journal_seq === null ? [] : [Number(m.journal_seq)]))])].sort((a, b) => a - b)
  const entries = await collectChunks(seqs, (s) => db.selectFrom('journal as j').innerJoin('archive_leaves as l', 'l.journal_seq', 'j.seq').select(['j.seq', 'j.kind', 'j.content', 'l.idx', 'l.leaf_data']).where('j.seq', 'in', s).where('l.idx', '<', checkpoint.size).execute())
  entries.sort((a, b) => Number(a.seq) - Number(b.seq))
  const proofs = await storedInclusionProofs(db, entries.map((e) => Number(e.idx)), checkpoint.size)
  const leafOfSeq = new Map(entries.map((e) => [Number(e.seq), Number(e.idx)]))

  // The originals as received (sealed ones opened: GOBD-16), each with the salt of its commitment.
  const files: Record<string, Uint8Array> = {}
  const salts = new Map<number, string>()
  for (const e of entries) {
    const opened = e.content ? await o.sealer.open(db, Buffer.from(e.content)) : undefined
    if (!opened) continue
    files[`raw/${Number(e.seq)}.json`] = opened.payload
    salts.set(Number(e.seq), opened.salt.toString('hex'))
  }
  const mediaFiles: { mediaId: string; sha256: string; file: string; journalSeq: number | null }[] = []
  for (const m of media) {
    if (!m.sha256) continue
    const bytes = await o.store.get(m.sha256)
    if (!bytes) continue
    files[`media/${m.sha256}`] = bytes
    mediaFiles.push({ mediaId: m.id, sha256: m.sha256, file: `media/${m.sha256}`, journalSeq: m.journal_seq === null ? null : Number(m.journal_seq) })
  }

  const tables: Table[] = [
    {
      file: 'nachrichten.csv',
      name: 'Nachrichten',
      description: 'WhatsApp-Nachrichten der gewählten steuerlich relevanten Klassen (Handelsbrief, Buchungsbeleg, Buch)',
      columns: [
        { name: 'nachricht_id', type: 'text', description: 'Eindeutige Kennung in Postfach', key: true },
        { name: 'konversation_id', type: 'text', description: 'Konversation' },
        { name: 'kontakt_id', type: 'text', description: 'Kontakt (Kunde)' },
        { name: 'kanal', type: 'text', description: 'Telefonnummer-ID des Unternehmens bei WhatsApp' },
        { name: 'richtung', type: 'text', description: 'eingehend oder ausgehend' },
        { name: 'typ', type: 'text', description: 'Nachrichtentyp der Cloud API' },
        { name: 'datum', type: 'date', description: 'Datum (Europe/Berlin)' },
        { name: 'zeitpunkt_utc', type: 'text', description: 'Zeitpunkt ISO 8601 UTC' },
        { name: 'wamid', type: 'text', description: 'WhatsApp-Nachrichtenkennung' },
        { name: 'status', type: 'text', description: 'Letzter Zustellstatus' },
        { name: 'klasse', type: 'text', description: 'Aufbewahrungsklasse' },
        { name: 'aufbewahren_bis', type: 'date', description: 'Ende der Aufbewahrungsfrist' },
        { name: 'text', type: 'text', description: 'Text, Bildunterschrift oder Dateiname' },
        { name: 'journal_seq', type: 'number', description: 'Journaleintrag mit dem Original (raw/<journal_seq>.json)' },
        { name: 'protokoll_index', type: 'number', description: 'Blatt im Merkle-Protokoll' },
      ],
      rows: messages.map((m) => [
        m.id, m.conversation_id, m.contact_id, m.channel_id, m.direction === 'inbound' ? 'eingehend' : 'ausgehend', m.type, deDate(m.day), m.timestamp, m.wamid ?? '', m.status, m.cls,
        retentionYears(retention, m.cls) ? deDate(retainedUntil(m.timestamp, retentionYears(retention, m.cls))) : '', messageText(m.type, m.content) ?? '', Number(m.journal_seq), leafOfSeq.get(Number(m.journal_seq)) ?? '',
      ]),
      foreignKeys: [{ column: 'konversation_id', references: 'Konversationen' }, { column: 'kontakt_id', references: 'Kontakte' }],
    },
    {
      file: 'status.csv',
      name: 'Zustellstatus',
      description: 'Statusmeldungen von WhatsApp zu ausgehenden Nachrichten',
      columns: [
        { name: 'wamid', type: 'text', description: 'WhatsApp-Nachrichtenkennung' },
        { name: 'status', type: 'text', description: 'sent, delivered, read oder failed' },
        { name: 'zeitpunkt_utc', type: 'text', description: 'Zeitpunkt laut WhatsApp, ISO 8601 UTC' },
        { name: 'journal_seq', type: 'number', description: 'Journaleintrag mit dem Original' },
      ],
      rows: statuses.map((s) => [s.wamid, s.status, s.occurred_at, Number(s.journal_seq)]),
    },
    {
      file: 'konversationen.csv',
      name: 'Konversationen',
      description: 'Konversationen, zu denen die Nachrichten gehören',
      columns: [
        { name: 'konversation_id', type: 'text', description: 'Kennung', key: true },
        { name: 'kontakt_id', type: 'text', description: 'Kontakt' },
        { name: 'kanal', type: 'text', description: 'Telefonnummer-ID des Unternehmens' },
        { name: 'klasse', type: 'text', description: 'Aufbewahrungsklasse der Konversation' },
        { name: 'begonnen', type: 'date', description: 'Beginn (Europe/Berlin)' },
      ],
      rows: conversations.map((c) => [c.id, c.contact_id, c.channel_id, c.retention_class ?? retention.defaultClass, deDate(localDate(c.created_at))]),
      foreignKeys: [{ column: 'kontakt_id', references: 'Kontakte' }],
    },
    {
      file: 'kontakte.csv',
      name: 'Kontakte',
      description: 'Geschäftspartner (Stammdaten, wie sie zum Exportzeitpunkt gelten)',
      columns: [
        { name: 'kontakt_id', type: 'text', description: 'Kennung', key: true },
        { name: 'whatsapp_nummer', type: 'text', description: 'WhatsApp-Nummer (wa_id)' },
        { name: 'name', type: 'text', description: 'Name (berichtigt, sonst Profilname)' },
        { name: 'erster_kontakt', type: 'date', description: 'Erster Kontakt' },
        { name: 'letzter_kontakt', type: 'date', description: 'Letzter Kontakt' },
      ],
      rows: contacts.map((c) => [c.id, c.wa_id ?? '', c.name_override ?? c.profile_name ?? '', deDate(localDate(c.first_contact_at)), deDate(localDate(c.last_contact_at))]),
    },
    {
      file: 'medien.csv',
      name: 'Medien',
      description: 'Anhänge, unverändert unter media/<sha256>',
      columns: [
        { name: 'medien_id', type: 'text', description: 'Kennung (= Nachricht)', key: true },
        { name: 'nachricht_id', type: 'text', description: 'Nachricht' },
        { name: 'mime_typ', type: 'text', description: 'MIME-Typ' },
        { name: 'dateiname', type: 'text', description: 'Dateiname, falls angegeben' },
        { name: 'groesse_bytes', type: 'number', description: 'Größe in Bytes' },
        { name: 'sha256', type: 'text', description: 'SHA-256 der Datei (= Dateiname unter media/)' },
      ],
      rows: media.filter((m) => m.sha256).map((m) => [m.id, m.id, m.mime_type, fileNames.get(m.id) ?? '', Number(m.size ?? 0), m.sha256!]),
      foreignKeys: [{ column: 'nachricht_id', references: 'Nachrichten' }],
    },
  ]
  for (const t of tables) files[t.file] = Buffer.from(stringify([t.columns.map((c) => c.name), ...t.rows], CSV), 'utf8')
  files['index.xml'] = Buffer.from(indexXml(tables, selection, o.supplier))
  files['gdpdu-01-09-2004.dtd'] = asset('gdpdu-01-09-2004.dtd')
  files['verify.mjs'] = asset('verify-bundle.mjs')
  files['archive/checkpoint.txt'] = Buffer.from(checkpoint.note)
  if (stamp) files['archive/checkpoint.tsr'] = Buffer.from(stamp.response)
  files['archive/public-key.pem'] = Buffer.from(o.key.publicKey.export({ format: 'pem', type: 'spki' }).toString())
  files['archive/manifest.json'] = Buffer.from(
    JSON.stringify(
      {
        format: 'postfach-bundle/1',
        software: SOFTWARE_VERSION,
        keyName: o.key.name,
        treeSize: checkpoint.size,
        rootHash: checkpoint.rootHash,
        selection,
        entries: entries.flatMap((e, i) =>
          salts.has(Number(e.seq)) ? [{ journalSeq: Number(e.seq), kind: e.kind, file: `raw/${Number(e.seq)}.json`, salt: salts.get(Number(e.seq))!, leafIndex: Number(e.idx), leafData: Buffer.from(e.leaf_data).toString('base64'), path: proofs[i]!.map((h) => h.toString('hex')) }] : [],
        ),
        media: mediaFiles,
      },
      null,
      1,
    ),
  )
  files['LIESMICH.txt'] = Buffer.from(readme(selection, checkpoint, Boolean(stamp)))
  return { zip: zipSync(files, { level: 6 }), messages: messages.length, checkpoint }
}

function indexXml(tables: Table[], s: Z3Selection, supplier: { name: string; location: string }): string {
  const column = (c: Column) => {
    const type = c.type === 'number' ? '<Numeric><Accuracy>0</Accuracy></Numeric>' : c.type === 'date' ? '<Date><Format>DD.MM.YYYY</Format></Date>' : '<AlphaNumeric/>'
    const tag = c.key ? 'VariablePrimaryKey' : 'VariableColumn'
    return `        <${tag}><Name>${esc(c.name)}</Name><Description>${esc(c.description)}</Description>${type}</${tag}>`
  }
  const table = (t: Table) => [
    '    <Table>',
    `      <URL>${esc(t.file)}</URL>`,
    `      <Name>${esc(t.name)}</Name>`,
    `      <Description>${esc(t.description)}</Description>`,
    `      <Validity><Range><From>${deDate(s.from)}</From><To>${deDate(s.to)}</To></Range><Format>DD.MM.YYYY</Format></Validity>`,
    '      <UTF8/>',
    '      <DecimalSymbol>,</DecimalSymbol><DigitGroupingSymbol>.</DigitGroupingSymbol>',
    '      <VariableLength>',
    '        <ColumnDelimiter>;</ColumnDelimiter>',
    '        <RecordDelimiter>&#13;&#10;</RecordDelimiter>',
    '        <TextEncapsulator>"</TextEncapsulator>',
    // Key columns first, as the DTD orders them.
    ...[...t.columns.filter((c) => c.key), ...t.columns.filter((c) => !c.key)].map(column),
    ...(t.foreignKeys ?? []).map((f) => `        <ForeignKey><Name>${esc(f.column)}</Name><References>${esc(f.references)}</References></ForeignKey>`),
    '      </VariableLength>',
    '    </Table>',
  ]
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE DataSet SYSTEM "gdpdu-01-09-2004.dtd">',
    '<DataSet>',
    '  <Version>1.0</Version>',
    `  <DataSupplier><Name>${esc(supplier.name)}</Name><Location>${esc(supplier.location)}</Location><Comment>${esc(`Postfach ${SOFTWARE_VERSION}, Datenüberlassung ${deDate(s.from)} bis ${deDate(s.to)}, Klassen ${s.classes.join(', ')}`)}</Comment></DataSupplier>`,
    '  <Media>',
    '    <Name>Datenüberlassung WhatsApp-Nachrichten</Name>',
    ...tables.flatMap(table),
    '  </Media>',
    '</DataSet>',
    '',
  ].join('\n')
}

function readme(s: Z3Selection, c: CheckpointRow, stamped: boolean): string {
  return [
    'Datenüberlassung (Z3, § 147 Abs. 6 AO) aus Postfach',
    '',
    `Zeitraum: ${deDate(s.from)} bis ${deDate(s.to)}; Klassen: ${s.classes.join(', ')}${s.contactId ? `; Kontakt ${s.contactId}` : ''}.`,
    '',
    'index.xml beschreibt die CSV-Tabellen nach dem Beschreibungsstandard (gdpdu-01-09-2004.dtd liegt bei).',
    'raw/ enthält die Originale der Cloud API (JSON, unverändert), media/ die Anhänge (unverändert, Name = SHA-256).',
    `archive/ enthält den signierten Prüfpunkt (${c.size} Einträge), den öffentlichen Schlüssel und für jedes Original den Inklusionsbeweis.`,
    '',
    'Prüfung ohne Postfach (nur Node.js nötig):  node verify.mjs',
    ...(stamped ? ['', 'Zeitstempel (RFC 3161) des Prüfpunkts:  openssl ts -verify -in archive/checkpoint.tsr -data archive/checkpoint.txt -CAfile <Zertifikatskette des Zeitstempeldienstes>'] : []),
    '',
  ].join('\r\n')
}
