#!/usr/bin/env node
// The `postfach` command. It runs the compiled server (`npm run build` writes dist/).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const entry = new URL('../dist/cli.js', import.meta.url)
if (!existsSync(fileURLToPath(entry))) {
  console.error('postfach: dist/ is missing; run `npm run build` first (npm start does it for you).')
  process.exit(1)
}
const { runCli } = await import(entry.href)
process.exitCode = await runCli(process.argv.slice(2))
