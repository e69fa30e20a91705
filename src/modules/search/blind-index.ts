import { createHmac } from 'node:crypto'
import type { Executor } from '../../db/database.js'
import { insertRows } from '../../db/insert-rows.js'
import { fold } from './fold.js'

/**
 * The message search over encrypted text: a blind index. Each word of a message's text, folded
 * (lower case, no diacritics), is entered under keyed hashes of its first 3 and — when it has at
 * least 6 letters — first 6 letters (shorter words: the whole word). The hashes are HMACs with a
 * key derived from the master key, cut to 48 bits, so the database holds neither the words nor
 * hashes anyone without the key could test guesses against. A query term looks up the hash of
 * its own 6- or 3-letter prefix; the index finds candidates, and the caller confirms each
 * against the opened text (a prefix of a word; cut hashes may collide, which the check absorbs).
 * Rows go with their message (a trigger), so no trace outlives an erasure.
 */
/** Folded as the database folds names, and ß as ss (upper case has no ß: „STRASSE“ is „Straße“). */
const normal = (s: string) => fold(s).replaceAll('ß', 'ss')

export class BlindIndex {
  private readonly cache = new Map<string, number>()

  constructor(private readonly key: Buffer) {}

  /** The words of a text as the index and the confirmation see them. */
  static words(text: string): string[] {
    return [...new Set(normal(text).match(/[\p{L}\p{N}]+/gu) ?? [])]
  }

  /** The hash of one token as it is (for tokens that are not words, such as a number's endings). */
  hash(token: string): number {
    let h = this.cache.get(token)
    if (h === undefined) {
      h = createHmac('sha256', this.key).update(token).digest().readUIntBE(0, 6)
      if (this.cache.size > 50_000) this.cache.clear() // a bound: the vocabulary of an inbox is small, recomputing is cheap
      this.cache.set(token, h)
    }
    return h
  }

  /** The hashes a text is entered under. */
  termsOf(text: string): number[] {
    const terms = new Set<number>()
    for (const w of BlindIndex.words(text)) {
      terms.add(this.hash(w.slice(0, 3)))
      if (w.length >= 6) terms.add(this.hash(w.slice(0, 6)))
    }
    return [...terms]
  }

  /** The hash a query term is looked up under (its longest indexed prefix). */
  termOfQuery(term: string): number {
    const t = normal(term)
    return this.hash(t.length >= 6 ? t.slice(0, 6) : t.slice(0, 3))
  }

  /** A query's hashes, the most selective (longest term's) first, without repeats: the first walks its postings, the others are probed. */
  queryHashes(terms: string[]): number[] {
    return [...new Set([...terms].sort((a, b) => b.length - a.length).map((t) => this.termOfQuery(t)))]
  }

  /** Enters messages' texts (in the caller's transaction). */
  async add(tx: Executor, items: { messageId: string; text: string | null }[]): Promise<void> {
    await insertRows(tx, 'message_terms', this.rowsOf(items), 'on conflict do nothing')
  }

  /** The index rows of messages' texts. */
  rowsOf(items: { messageId: string; text: string | null }[]): { term: number; message_id: string }[] {
    return items.flatMap((i) => (i.text ? this.termsOf(i.text).map((term) => ({ term, message_id: i.messageId })) : []))
  }

  /** Ids of messages entered under every query term's hash (a subquery; probes the primary key). */
  matching(db: Executor, terms: string[]) {
    const [first, ...rest] = this.queryHashes(terms)
    let q = db.selectFrom('message_terms as t0').select('t0.message_id').where('t0.term', '=', first!)
    for (const term of rest) {
      q = q.where(({ exists, selectFrom }) => exists(selectFrom('message_terms as t').select('t.term').where('t.term', '=', term).whereRef('t.message_id', '=', 't0.message_id')))
    }
    return q
  }

  /**
   * Candidates for all query terms, newest first (ids sort by creation), a page at a time below
   * `before`: walks the postings of the longest term and probes the others.
   */
  async candidates(db: Executor, terms: string[], page: { before?: string | undefined; limit: number }): Promise<string[]> {
    let q = this.matching(db, terms)
    if (page.before) q = q.where('t0.message_id', '<', page.before)
    return (await q.orderBy('t0.message_id', 'desc').limit(page.limit).execute()).map((r) => r.message_id)
  }

  /** Whether a text has, for every query term, a word starting with it. */
  static confirms(text: string | null, terms: string[]): boolean {
    if (!text) return false
    const words = BlindIndex.words(text)
    return terms.every((t) => {
      const f = normal(t)
      return words.some((w) => w.startsWith(f))
    })
  }
}
