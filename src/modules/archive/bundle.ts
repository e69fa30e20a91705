import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { unzipSync } from 'fflate'

export type BundleReport = { ok: boolean; problems: string[]; entries: number; media: number; messages: number }

/** The verifier shipped in every export (assets/verify-bundle.mjs): the CLI runs the very same code the auditor gets. */
const VERIFIER = new URL('../../../assets/verify-bundle.mjs', import.meta.url)

/** Unpacks an exported bundle into a temporary folder and runs the shipped verifier on it. */
export async function verifyBundleZip(zipPath: string): Promise<BundleReport> {
  const files = unzipSync(fs.readFileSync(zipPath))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-bundle-'))
  try {
    for (const [name, bytes] of Object.entries(files)) {
      if (name.endsWith('/')) continue
      const target = path.resolve(dir, name)
      if (!target.startsWith(dir + path.sep)) throw new Error(`the bundle names a file outside itself: ${name}`)
      fs.mkdirSync(path.dirname(target), { recursive: true })
      fs.writeFileSync(target, bytes)
    }
    const { verifyBundle } = (await import(VERIFIER.href)) as { verifyBundle: (dir: string) => BundleReport }
    return verifyBundle(dir)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
