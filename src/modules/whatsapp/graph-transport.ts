import http from 'node:http'
import https from 'node:https'

/**
 * JSON over HTTP for the Graph API with kept-alive connections. The send worker makes up to
 * 1,000 calls a second; on node:http each costs a fraction of what a WHATWG `fetch` costs in CPU
 * (no streams, no Request/Response objects), which is what lets one core keep up with that rate.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }),
}

export type TransportAnswer = { status: number; body: Buffer }

/** The request did not produce an answer; `refused` when no byte can have reached the server. */
export class TransportFailure extends Error {
  constructor(
    message: string,
    readonly refused: boolean,
  ) {
    super(message)
  }
}

export function requestJson(method: string, url: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<TransportAnswer> {
  const target = new URL(url)
  const lib = target.protocol === 'https:' ? https : http
  const agent = agents[target.protocol as keyof typeof agents]
  return new Promise((resolve, reject) => {
    const req = lib.request(
      target,
      { method, agent, timeout: timeoutMs, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }))
        res.on('error', (e) => reject(new TransportFailure(e.message, false)))
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', (e: NodeJS.ErrnoException) => reject(new TransportFailure(e.message, e.code === 'ECONNREFUSED')))
    req.end(body)
  })
}
