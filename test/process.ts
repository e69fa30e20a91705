import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { onTestPostgres, removeTestDatabase, TEST_DATABASE_URL } from './helpers.js'

const ROOT = path.resolve(import.meta.dirname, '..')

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })

/** A data dir and, on PostgreSQL, a fresh schema, for a Postfach that runs as a real process. */
export async function processDatabase() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-proc-'))
  let databaseUrl: string | undefined
  let schema: string | undefined
  if (TEST_DATABASE_URL) {
    schema = `p_${randomBytes(6).toString('hex')}`
    await onTestPostgres(`create schema ${schema}`)
    databaseUrl = TEST_DATABASE_URL
  }
  return {
    dataDir,
    databaseUrl,
    schema,
    /** Environment for a Postfach process on this database. */
    env: { DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema! } : {}) } as Record<string, string>,
    cleanup: () => removeTestDatabase(dataDir, schema),
  }
}

/** Postfach as a child process (`postfach serve` from source), killable with SIGKILL. */
export class ServerProcess {
  private child: ChildProcess | undefined
  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get url() {
    return `http://127.0.0.1:${this.port}`
  }

  /** The process id while running (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.child?.pid
  }

  async start(): Promise<void> {
    this.child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli-main.ts'), 'serve'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(this.port), LOG_LEVEL: 'error', ...this.env },
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${this.url}/api/ready`)
        if (res.ok) return
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error('server did not become ready')
  }

  /** Stops the server as Ctrl-C or a service manager does (SIGTERM: it shuts down in order). */
  stop(): Promise<void> {
    return this.signal('SIGTERM')
  }

  /** Kills the server as a crash or power cut does (SIGKILL: nothing runs after it). */
  kill(): Promise<void> {
    return this.signal('SIGKILL')
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child
    this.child = undefined
    if (!child || child.exitCode !== null) return Promise.resolve()
    return new Promise((resolve) => {
      child.once('exit', () => resolve())
      child.kill(signal)
    })
  }
}

/** `postfach <args>` from the sources, as an operator runs it: exit code and output, never a throw on a non-zero exit. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli-main.ts'), ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent', ...env }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    )
  })
}
