import fs from 'node:fs'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import { notFound } from '../errors.js'

/** Everything the app loads comes from this origin (TDDDG §25: no third-party requests). */
export const APP_CSP = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ')

/**
 * Serves the built web app (web/dist) at `/`: hashed assets with long caching, any other path
 * without a file gets index.html so that the app's own routes work on reload.
 */
export const webAppRoutes: FastifyPluginAsync<{ root: string }> = async (app, { root }) => {
  const index = path.join(root, 'index.html')
  await app.register(fastifyStatic, { root, serve: false })

  app.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const url = request.url.split('?')[0]!
    if (url.startsWith('/api/') || url.startsWith('/webhooks/')) throw notFound(`Route GET ${url}`)
    void reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer')
    const file = path.normalize(path.join(root, decodeURIComponent(url)))
    if (file.startsWith(root + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile()) {
      const immutable = url.startsWith('/assets/')
      return reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache').sendFile(path.relative(root, file))
    }
    if (!fs.existsSync(index)) return reply.code(503).type('text/plain; charset=utf-8').send('The web app is not built yet: run `npm run build`.')
    return reply.header('content-security-policy', APP_CSP).header('cache-control', 'no-cache').sendFile('index.html')
  })
}
