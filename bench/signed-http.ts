import { createHmac, timingSafeEqual } from 'node:crypto'
import http from 'node:http'

const SECRET = process.env.BENCH_SECRET ?? 'bench-secret'

/**
 * The HTTP side the bench's reference servers share: bare `node:http`, the body gathered, the same
 * HMAC check Postfach makes (401 on a mismatch), then `onWebhook` with the raw bytes. Prints
 * "ready" once it listens, which bench/ingest waits for.
 */
export function serveSignedWebhooks(port: number, onWebhook: (raw: Buffer, res: http.ServerResponse) => void): http.Server {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks)
      const header = String(req.headers['x-hub-signature-256'] ?? '')
      const expected = Buffer.from('sha256=' + createHmac('sha256', SECRET).update(raw).digest('hex'))
      if (header.length !== expected.length || !timingSafeEqual(Buffer.from(header), expected)) {
        res.writeHead(401).end()
        return
      }
      onWebhook(raw, res)
    })
  })
  return server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'))
}
