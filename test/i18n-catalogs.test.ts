import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const WEB = path.resolve(import.meta.dirname, '../web/src')
const catalog = (lang: string) => JSON.parse(fs.readFileSync(path.join(WEB, 'i18n', `${lang}.json`), 'utf8')) as Record<string, unknown>

/** Every leaf of a catalog as `a.b.c` → text. */
function leaves(node: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>()
  if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) for (const [kk, vv] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(kk, vv)
  else out.set(prefix, node)
  return out
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : []))
}

describe('the web app speaks German and English alike', () => {
  const de = leaves(catalog('de'))
  const en = leaves(catalog('en'))

  it('both catalogs have the same keys, each with a text', () => {
    expect([...de.keys()].filter((k) => !en.has(k))).toEqual([])
    expect([...en.keys()].filter((k) => !de.has(k))).toEqual([])
    expect([...de].filter(([, v]) => typeof v !== 'string' || v.trim() === '').map(([k]) => k)).toEqual([])
    expect([...en].filter(([, v]) => typeof v !== 'string' || v.trim() === '').map(([k]) => k)).toEqual([])
  })

  it("every key the app asks for by name is in the catalog (a plural by its _one/_other forms)", () => {
    const used = new Set<string>()
    for (const file of sources(WEB)) for (const m of fs.readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g)) used.add(m[1]!)
    expect(used.size).toBeGreaterThan(300) // the scan finds the app's keys (a broken pattern would find none)
    const missing = [...used].filter((k) => !de.has(k) && !de.has(`${k}_one`) && !de.has(`${k}_other`))
    expect(missing).toEqual([])
  })
})
