import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import { customerPageRoutes } from './customer-page.js'
import { graphRoutes } from './graph-routes.js'
import type { SimIdentity } from './payloads.js'
import { type SimulatorBehaviour, SimulatorState } from './state.js'
import { type DeliveryOptions, WebhookSender } from './webhook-sender.js'

/** The fixture identities, so Meta-shaped fixtures and the simulator agree. */
export const SIMULATOR_DEFAULTS = {
  phoneNumberId: '109876543210987',
  wabaId: '102938475610293',
  displayPhoneNumber: '4930123456789',
  appSecret: 'simulator-app-secret',
  verifyToken: 'simulator-verify-token',
  accessToken: 'simulator-access-token',
  appId: '1234567890123',
} as const

export type SimulatorOptions = {
  identity?: SimIdentity
  appSecret?: string
  accessToken?: string
  /** Where webhooks go (Postfach's POST /webhooks/whatsapp). */
  webhookUrl: () => string
  /** This simulator's own base URL (for media download links), without the version. */
  publicBase: () => string
  behaviour?: Partial<SimulatorBehaviour>
  delivery?: Partial<DeliveryOptions>
}

export function createSimulatorState(o: SimulatorOptions): SimulatorState {
  const identity = o.identity ?? {
    phoneNumberId: SIMULATOR_DEFAULTS.phoneNumberId,
    wabaId: SIMULATOR_DEFAULTS.wabaId,
    displayPhoneNumber: SIMULATOR_DEFAULTS.displayPhoneNumber,
  }
  const sender = new WebhookSender(o.appSecret ?? SIMULATOR_DEFAULTS.appSecret, o.webhookUrl, {
    duplicateRate: 0,
    jitterMs: 0,
    retryDelaysMs: [500, 1000, 2000, 4000, 8000, 16000, 32000, 60000],
    ...o.delivery,
  })
  return new SimulatorState(
    identity,
    o.accessToken ?? SIMULATOR_DEFAULTS.accessToken,
    sender,
    { statusStepMs: 700, throughputPerSecond: 80, pairBurst: 5, pairIntervalMs: 6000, emitStatuses: true, failureRate: 0, ...o.behaviour },
    o.publicBase,
  )
}

/**
 * The simulator as a Fastify plugin: Graph endpoints under `/graph` (base URL for Postfach:
 * `<origin>/graph/v26.0`) and the customer phone under `/simulator`.
 */
export const simulatorPlugin: FastifyPluginAsync<{ state: SimulatorState }> = async (app, { state }) => {
  await app.register(graphRoutes, { state, prefix: '/graph' })
  await app.register(customerPageRoutes, { state })
}

/** A standalone simulator server (tests, benchmarks). */
export async function startSimulatorServer(o: Omit<SimulatorOptions, 'publicBase'> & { port?: number }) {
  let base = ''
  const state = createSimulatorState({ ...o, publicBase: () => base + '/graph' })
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 110 * 1024 * 1024 })
  await app.register(simulatorPlugin, { state })
  const address = await app.listen({ port: o.port ?? 0, host: '127.0.0.1' })
  base = address
  return { app, state, baseUrl: `${address}/graph/v26.0`, close: () => app.close() }
}
