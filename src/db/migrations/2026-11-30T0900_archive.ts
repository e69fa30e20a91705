import { type Kysely, sql } from 'kysely'
import { appendOnly } from './append-only.js'

/**
 * The archive's Merkle log (RFC 6962) over the journal. Leaves are numbered without gaps in the
 * order the log took them in; every stored node is the hash of a complete subtree, so the root
 * and any proof need O(log n) reads. All three tables are append-only. Frozen once landed.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob'

  await db.schema
    .createTable('archive_leaves')
    .addColumn('idx', 'bigint', (c) => c.primaryKey())
    .addColumn('journal_seq', 'bigint', (c) => c.notNull().unique())
    .addColumn('leaf_data', blob as any, (c) => c.notNull()) // canonical leaf bytes (leaf.ts)
    .execute()
  await appendOnly(db, dialect, 'archive_leaves')

  // Node (level, idx) is the hash of leaves [idx·2^level, (idx+1)·2^level); level 0 is the leaf hash.
  await db.schema
    .createTable('archive_nodes')
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('idx', 'bigint', (c) => c.notNull())
    .addColumn('hash', blob as any, (c) => c.notNull())
    .addPrimaryKeyConstraint('archive_nodes_pk', ['level', 'idx'])
    .execute()
  await appendOnly(db, dialect, 'archive_nodes')

  // Every signed tree head ever issued, kept so that any two can be proven consistent.
  await db.schema
    .createTable('archive_checkpoints')
    .addColumn('size', 'bigint', (c) => c.primaryKey())
    .addColumn('root_hash', 'text', (c) => c.notNull()) // hex
    .addColumn('note', 'text', (c) => c.notNull()) // the C2SP signed note
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await appendOnly(db, dialect, 'archive_checkpoints')

  // RFC 3161 time-stamp responses over checkpoint notes (ARCH-4), when a TSA is configured.
  await db.schema
    .createTable('archive_timestamps')
    .addColumn('checkpoint_size', 'bigint', (c) => c.primaryKey())
    .addColumn('tsa_url', 'text', (c) => c.notNull())
    .addColumn('response', blob as any, (c) => c.notNull()) // the DER TimeStampResp as received
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await appendOnly(db, dialect, 'archive_timestamps')

  // Crypto-shredding (SHRED-1..3): journal payloads that name a customer are sealed with keys of
  // that customer (one per customer identity and calendar year), wrapped by the master key.
  // Destroying the keys makes every copy of those payloads unreadable, backups included.
  await db.schema
    .createTable('data_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_ref', 'text', (c) => c.notNull()) // keyed hash of the wa_id or BSUID, never the number
    .addColumn('period', 'text', (c) => c.notNull()) // calendar year (Europe/Berlin) of the entries it seals
    .addColumn('wrapped', 'text') // null once destroyed
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('destroyed_at', 'text')
    .addColumn('destroyed_reason', 'text')
    .addUniqueConstraint('data_keys_subject_period_uq', ['subject_ref', 'period'])
    .execute()
  // What a leaf commits to besides the stored bytes: SHA-256(salt ‖ plaintext), the salt sealed with
  // the payload, so the commitment reveals nothing once the key is gone (null: unsealed entry).
  await db.schema.alterTable('journal').addColumn('commitment', 'text').execute()
  // SHA-256 of a sealed payload's stored bytes, so the log takes entries in without reading them
  // back (for a plain payload, content_sha256 is that digest already).
  await db.schema.alterTable('journal').addColumn('stored_sha256', 'text').execute()

  // The journal entry that logged a media file's digest (the Z3 export ships it with its proof).
  await db.schema.alterTable('media').addColumn('journal_seq', 'bigint').execute()

  // Every software version that ran, from which journal entry on (GOBD-1, GOBD-12): each step of a
  // record names the release that wrote it.
  await db.schema
    .createTable('archive_releases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('journal_seq_from', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .execute()
  await appendOnly(db, dialect, 'archive_releases')

  // Reclassification history (GOBD-11): never updated; the live class is on the conversation or message.
  await db.schema
    .createTable('archive_classifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text') // null: the whole conversation
    .addColumn('previous_class', 'text')
    .addColumn('class', 'text', (c) => c.notNull().check(sql`class in ('handelsbrief', 'buchungsbeleg', 'buch', 'marketing', 'none')`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('archive_classifications_conversation_idx').on('archive_classifications').columns(['conversation_id', 'created_at']).execute()
  await appendOnly(db, dialect, 'archive_classifications')

  // Legal holds (GOBD-10): while active, nothing they cover is deleted or shredded.
  await db.schema
    .createTable('legal_holds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('scope', 'text', (c) => c.notNull().check(sql`scope in ('contact', 'conversation', 'period')`))
    .addColumn('contact_id', 'text')
    .addColumn('conversation_id', 'text')
    .addColumn('period_from', 'text') // ISO instants, inclusive
    .addColumn('period_to', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('released_at', 'text')
    .addColumn('released_by', 'text')
    .addColumn('release_reason', 'text')
    .execute()
}
