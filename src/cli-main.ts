// Entry point for running the CLI from source (`npm run dev`, tests): `node --import tsx src/cli-main.ts`.
import { runCli } from './cli.js'

process.exitCode = await runCli(process.argv.slice(2))
