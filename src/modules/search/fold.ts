/**
 * Letters with diacritics and their base letters, for PostgreSQL's search (SQLite's FTS5 folds
 * them itself: `remove_diacritics 2`). The same table is used in SQL (`translate`, immutable, so
 * it can feed the stored tsvector) and for the search terms, so both sides fold alike.
 */
export const FOLD_FROM = 'áàâäãåāăąçćčďéèêëēėęěíìîïīįłñńňóòôöõøōőŕřśšşťúùûüūůűųýÿźżž'
export const FOLD_TO = 'aaaaaaaaacccdeeeeeeeeiiiiiilnnnoooooooorrssstuuuuuuuuyyzzz'

const table = new Map([...FOLD_FROM].map((c, i) => [c, FOLD_TO[i]!]))

/** Lower case without diacritics, as the PostgreSQL index stores words. */
export const fold = (s: string) => [...s.toLowerCase()].map((c) => table.get(c) ?? c).join('')
