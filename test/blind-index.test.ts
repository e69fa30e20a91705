import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { BlindIndex } from '../src/modules/search/blind-index.js'

/** A deterministic pseudo-random generator, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32)
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzäöüßéèçñ0123456789'

describe('GDPR-32 (property): the blind index finds what the text search found, and holds no word', () => {
  const random = rng(20261130)
  const word = () => Array.from({ length: 1 + Math.floor(random() * 12) }, () => LETTERS[Math.floor(random() * LETTERS.length)]).join('')
  const index = new BlindIndex(randomBytes(32))

  it('every word of a text is found by each of its prefixes of 3 letters or more, and by itself, in any case and with or without accents', () => {
    for (let n = 0; n < 300; n++) {
      const words = Array.from({ length: 1 + Math.floor(random() * 10) }, word)
      const text = words.map((w) => (random() < 0.3 ? w.toUpperCase() : w)).join(random() < 0.5 ? ' ' : ', ')
      const terms = new Set(index.termsOf(text))
      for (const w of words) {
        for (let k = Math.min(3, w.length); k <= w.length; k++) {
          const prefix = w.slice(0, k)
          expect(terms.has(index.termOfQuery(prefix)), `${prefix} in ${text}`).toBe(true)
          expect(BlindIndex.confirms(text, [prefix.toUpperCase()])).toBe(true)
        }
      }
      // A query term that starts no word is never confirmed, whatever the cut hashes say.
      const stranger = `${words[0]}qqq`
      expect(BlindIndex.confirms(text, [stranger])).toBe(words.some((w) => w.startsWith(stranger)))
    }
  })

  it('folds accents and case on both sides, and keeps no word in the clear', () => {
    const terms = index.termsOf('Grüße aus Köln, José')
    expect(terms).toContain(index.termOfQuery('GRUSSE'.replace('SS', 'ß')))
    expect(terms).toContain(index.termOfQuery('koln'))
    expect(terms).toContain(index.termOfQuery('jose'))
    expect(terms.every((t) => Number.isSafeInteger(t) && t >= 0 && t < 2 ** 48)).toBe(true)
    // Keyed: another installation's key gives other hashes for the same words.
    const other = new BlindIndex(randomBytes(32))
    expect(other.termsOf('Grüße aus Köln, José').filter((t) => terms.includes(t))).toEqual([])
  })
})
