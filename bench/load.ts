import http from 'node:http'

export type LoadResult = { requests: number; errors: number; seconds: number; rps: number; p50: number; p99: number; statuses: Record<number, number> }

/**
 * A small HTTP load generator: `connections` keep-alive connections, each sending one request
 * after another (closed loop), or paced to `rate` requests per second in all (open loop, the
 * latency that a steady stream of webhooks sees). Bounded in count and time.
 */
export async function runLoad(o: {
  url: string
  connections: number
  seconds: number
  body: (i: number) => { payload: Buffer; headers: Record<string, string> }
  rate?: number
  maxRequests?: number
}): Promise<LoadResult> {
  const target = new URL(o.url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections })
  const latencies: number[] = []
  const statuses: Record<number, number> = {}
  let errors = 0
  let i = 0
  const start = performance.now()
  const end = start + o.seconds * 1000
  const max = o.maxRequests ?? Number.POSITIVE_INFINITY

  const one = (n: number) =>
    new Promise<void>((resolve) => {
      const { payload, headers } = o.body(n)
      const t0 = performance.now()
      const req = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { ...headers, 'content-length': String(payload.length) } },
        (res) => {
          res.resume()
          res.on('end', () => {
            latencies.push(performance.now() - t0)
            statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1
            resolve()
          })
        },
      )
      req.on('error', () => {
        errors++
        resolve()
      })
      req.end(payload)
    })

  if (o.rate) {
    const interval = 1000 / o.rate
    const pending: Promise<void>[] = []
    while (performance.now() < end && i < max) {
      const due = start + i * interval
      const wait = due - performance.now()
      if (wait > 1) await new Promise((r) => setTimeout(r, wait))
      pending.push(one(i++))
    }
    await Promise.all(pending)
  } else {
    await Promise.all(
      Array.from({ length: o.connections }, async () => {
        while (performance.now() < end && i < max) await one(i++)
      }),
    )
  }
  const seconds = (performance.now() - start) / 1000
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN
  return { requests: latencies.length, errors, seconds, rps: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99), statuses }
}
