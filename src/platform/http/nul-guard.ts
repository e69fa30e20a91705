import type { FastifyInstance } from 'fastify'
import { AppError } from '../errors.js'

/**
 * Where a parsed value holds the NUL character (U+0000), in a string or a key: the path to it
 * (`body.text.body`), or undefined. Iterative: a JSON body may nest deeper than the stack allows.
 */
export function nulCharacterAt(value: unknown, root: string): string | undefined {
  const pending: [unknown, string][] = [[value, root]]
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [v, at] = next
    if (typeof v === 'string') {
      if (v.includes('\0')) return at
    } else if (Array.isArray(v)) v.forEach((x, i) => pending.push([x, `${at}[${i}]`]))
    else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\0')) return at
        pending.push([x, `${at}.${k}`])
      }
    }
  }
  return undefined
}

/**
 * Replaces, in place, every NUL character in a parsed JSON value's strings and keys with U+FFFD
 * (the replacement character). For what must be kept rather than refused: a webhook whose
 * customer-written filename holds one is still stored (its raw bytes unchanged in the journal).
 */
export function replaceNulCharacters<T>(value: T): T {
  const fix = (s: string) => s.replaceAll('\0', '\uFFFD')
  const pending: unknown[] = [value]
  for (let v = pending.pop(); v !== undefined; v = pending.pop()) {
    if (Array.isArray(v)) {
      v.forEach((x, i) => (typeof x === 'string' ? (v[i] = fix(x)) : pending.push(x)))
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>
      for (const [k, x] of Object.entries(o)) {
        const key = fix(k)
        if (key !== k) delete o[k]
        if (typeof x === 'string') o[key] = fix(x)
        else {
          o[key] = x
          pending.push(x)
        }
      }
    }
  }
  return value
}

/**
 * Refuses text with a NUL character in a request's path, query or body, on every route. No text
 * a person writes holds one, PostgreSQL cannot store it in a text column (SQLite can), and a
 * refusal with the field's name is the same on both engines. Raw bodies (webhooks, uploads) are
 * bytes and pass: their content is stored as bytes or sealed.
 */
export function installNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const at = nulCharacterAt(request.params, 'path') ?? nulCharacterAt(request.query, 'query') ?? nulCharacterAt(request.body, 'body')
    if (at) throw new AppError('http.nul_character', 400, `${at} contains the NUL character (U+0000), which no text here may hold.`, { details: { field: at } })
  })
}
