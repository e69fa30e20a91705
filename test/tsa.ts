import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'

/**
 * A real RFC 3161 time-stamping authority for tests, made with the OpenSSL command line: its own
 * CA, a TSA certificate (extendedKeyUsage timeStamping) and `openssl ts -reply` behind HTTP.
 * `fail` makes it answer 500 (an unreachable TSA).
 */
export async function startLocalTsa() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-tsa-'))
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=Postfach Test TSA CA', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign')
  ssl('req', ...ec, '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/CN=Postfach Test TSA')
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n')
  ssl('x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tsa.crt', '-days', '2', '-extfile', 'ext.cnf')
  fs.writeFileSync(
    path.join(dir, 'tsa.cnf'),
    [
      '[ tsa ]',
      'default_tsa = tsa_config',
      '[ tsa_config ]',
      `serial = ${path.join(dir, 'serial')}`,
      'crypto_device = builtin',
      `signer_cert = ${path.join(dir, 'tsa.crt')}`,
      `signer_key = ${path.join(dir, 'tsa.key')}`,
      'signer_digest = sha256',
      'default_policy = 1.3.6.1.4.1.99999.1',
      'digests = sha256',
      'accuracy = secs:1',
      'ordering = yes',
      'tsa_name = yes',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  )
  fs.writeFileSync(path.join(dir, 'serial'), '01\n')
  const state = { fail: false, requests: 0 }
  let n = 0
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      state.requests++
      if (state.fail) return void res.writeHead(500).end()
      const query = path.join(dir, `q${++n}.tsq`)
      const reply = path.join(dir, `r${n}.tsr`)
      fs.writeFileSync(query, Buffer.concat(chunks))
      try {
        ssl('ts', '-reply', '-config', 'tsa.cnf', '-queryfile', query, '-out', reply)
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(fs.readFileSync(reply))
      } catch {
        res.writeHead(400).end()
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    state,
    /** `openssl ts -verify` of a response against the data it stamps; returns OpenSSL's verdict. */
    verify(response: Buffer, data: Buffer): { ok: boolean; output: string } {
      fs.writeFileSync(path.join(dir, 'check.tsr'), response)
      fs.writeFileSync(path.join(dir, 'check.dat'), data)
      try {
        const out = ssl('ts', '-verify', '-in', 'check.tsr', '-data', 'check.dat', '-CAfile', 'ca.crt', '-untrusted', 'tsa.crt').toString()
        return { ok: /Verification: OK/.test(out), output: out }
      } catch (e) {
        return { ok: false, output: String((e as { stdout?: Buffer; stderr?: Buffer }).stdout ?? '') + String((e as { stderr?: Buffer }).stderr ?? '') }
      }
    },
    close: () => new Promise<void>((r) => server.close(() => { fs.rmSync(dir, { recursive: true, force: true }); r() })),
  }
}
