import Fastify, { type InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../src/db/database.js'
import { installAccessControl, routeTableOf } from '../src/platform/http/access.js'
import { DIALECT, startTestServer, type Caller, type TestServer } from './helpers.js'

/** Routes anyone may call, and why. Adding a public route means adding it here. */
const PUBLIC = new Set([
  'GET /api/health', 'GET /api/ready', 'GET /api/openapi.json', 'POST /api/auth/login',
  'GET /api/setup', 'POST /api/setup', // first start only; the POST needs the console's one-time token
  'GET /webhooks/whatsapp', 'POST /webhooks/whatsapp', // Meta; the POST is signed
  'GET /*', // the web app's files (index.html and assets); never data
  'GET /optin/:purpose', 'POST /optin/:purpose', 'GET /optin-assets/optin.css', // the public double opt-in page
])
const isSimulator = (url: string) => url.startsWith('/graph') || url.startsWith('/simulator')

describe(`${DIALECT}: every route declares and enforces its roles`, () => {
  let server: TestServer
  let callers: Record<'admin' | 'agent' | 'auditor', Caller>
  beforeAll(async () => {
    server = await startTestServer()
    callers = { admin: await server.token('admin'), agent: await server.token('agent'), auditor: await server.token('auditor') }
  })
  afterAll(() => server.stop())

  const routes = () => routeTableOf(server.app).filter((r) => r.method !== 'HEAD' && !isSimulator(r.url))
  const fill = (url: string) => url.replace(/:(\w+)/g, '00000000-0000-0000-0000-000000000000')

  it('knows the routes (the walk below is not empty)', () => {
    expect(routes().length).toBeGreaterThan(15)
  })

  it('has only the listed routes public', () => {
    const publicRoutes = routes().filter((r) => r.access === 'public').map((r) => `${r.method} ${r.url}`)
    expect(new Set(publicRoutes)).toEqual(PUBLIC)
  })

  it('answers 401 to every non-public route without credentials, and to a wrong token', async () => {
    for (const r of routes().filter((r) => r.access !== 'public')) {
      for (const headers of [{}, { authorization: 'Bearer pf_not-a-real-token' }, { cookie: 'postfach_session=forged' }]) {
        const res = await server.app.inject({ method: r.method as 'GET', url: fill(r.url), headers, payload: r.method === 'GET' ? undefined : {} })
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(401)
        expect(res.headers['content-type']).toContain('application/problem+json')
      }
    }
  })

  it('answers 403 to every role a route does not allow', async () => {
    let checked = 0
    for (const r of routes().filter((r) => r.access !== 'public')) {
      for (const role of ['admin', 'agent', 'auditor'] as const) {
        if ((r.access as readonly string[]).includes(role)) continue
        const res = await callers[role].inject({ method: r.method as 'GET', url: fill(r.url), payload: r.method === 'GET' ? undefined : {} })
        expect(res.statusCode, `${role} ${r.method} ${r.url}`).toBe(403)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(10)
  })

  it('lets each allowed role past the guard (no 401/403)', async () => {
    for (const r of routes().filter((r) => r.access !== 'public')) {
      for (const role of r.access as readonly ('admin' | 'agent' | 'auditor')[]) {
        if (r.url === '/api/auth/logout' || r.url === '/api/events') continue // logout ends the caller; events never end (tested with real HTTP)
        const res = await callers[role].inject({ method: r.method as 'GET', url: fill(r.url), payload: r.method === 'GET' ? undefined : {} })
        expect([401, 403], `${role} ${r.method} ${r.url} → ${res.statusCode}`).not.toContain(res.statusCode)
      }
    }
  })

  it('never answers a state-changing route 5xx for a body nested absurdly deep (routes without a body may ignore it)', async () => {
    const deepArray = '['.repeat(20_000) + '1' + ']'.repeat(20_000)
    const deepObject = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000)
    const deepFields = `{"type":"text","text":{"body":${deepArray}},"name":${deepObject}}`
    let checked = 0
    for (const r of routes().filter((r) => r.access !== 'public' && r.method !== 'GET' && r.url !== '/api/auth/logout')) {
      const role = (r.access as readonly ('admin' | 'agent' | 'auditor')[])[0]!
      for (const payload of [deepArray, deepObject, deepFields]) {
        const res = await callers[role].inject({ method: r.method as 'POST', url: fill(r.url), payload, headers: { 'content-type': 'application/json' } })
        expect(res.statusCode, `${r.method} ${r.url} → ${res.body.slice(0, 200)}`).toBeLessThan(500)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(30)
  })

  it('refuses a NUL character in the path, query or JSON body of every route with 400 naming the field (PostgreSQL could not store it)', async () => {
    const nulPath = (url: string) => url.replace(/:(\w+)/g, 'a%00b')
    let checked = 0
    for (const r of routes().filter((r) => r.url !== '/webhooks/whatsapp' && r.url !== '/api/auth/logout')) {
      const caller = r.access === 'public' ? { inject: (o: InjectOptions) => server.app.inject(o) } : callers[(r.access as readonly ('admin' | 'agent' | 'auditor')[])[0]!]
      const requests: [InjectOptions, string][] = [[{ method: r.method as 'GET', url: `${fill(r.url)}?q=a%00b` }, 'query.q']]
      if (r.url.includes(':')) requests.push([{ method: r.method as 'GET', url: nulPath(r.url) }, 'path.'])
      if (r.method !== 'GET') requests.push([{ method: r.method as 'POST', url: fill(r.url), payload: { name: 'ok', text: { body: 'Hallo\u0000Welt' } }, headers: { 'content-type': 'application/json' } }, 'body.text.body'])
      for (const [request, field] of requests) {
        const res = await caller.inject(request)
        expect(res.statusCode, `${r.method} ${request.url} → ${res.body.slice(0, 200)}`).toBe(400)
        expect(res.json()).toMatchObject({ type: expect.stringMatching(/nul-character$/), detail: expect.stringContaining(field) })
        checked++
      }
    }
    expect(checked).toBeGreaterThan(100)
    // Who may not call a route still learns only that.
    expect((await server.app.inject({ method: 'GET', url: '/api/conversations?q=a%00b' })).statusCode).toBe(401)
  })

  it('refuses to register a route that declares no access', async () => {
    const app = Fastify()
    const db = await openDatabase({ dataDir: '/tmp', sqliteFile: ':memory:' })
    installAccessControl(app, db.db)
    expect(() => app.get('/api/forgotten', async () => 'x')).toThrow(/declares no access/)
    await app.close()
    await db.destroy()
  })
})

describe(`${DIALECT}: OpenAPI document`, () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.stop())

  it('describes every API route with its request schema', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/api/openapi.json' })
    expect(res.statusCode).toBe(200)
    const doc = res.json()
    expect(doc.openapi).toMatch(/^3\./)
    const documented = new Set(Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`)))
    const apiRoutes = routeTableOf(server.app).filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD' && r.url !== '/api/openapi.json')
    for (const r of apiRoutes) expect(documented, `${r.method} ${r.url}`).toContain(`${r.method} ${r.url}`)
    const send = doc.paths['/api/conversations/{id}/messages'].post
    expect(JSON.stringify(send.requestBody)).toContain('"template"')
  })
})
