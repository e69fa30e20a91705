import { requestJson, TransportFailure } from './graph-transport.js'

/**
 * A thin client for the Graph endpoints Postfach uses. Speaks to Meta or to the built-in simulator;
 * they differ only in base URL and token.
 */
export type GraphErrorBody = { message?: string; type?: string; code?: number; error_subcode?: number; error_data?: { details?: string }; fbtrace_id?: string }

export class GraphApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number | undefined,
    readonly details: string | undefined,
    message: string,
  ) {
    super(message)
  }
}

/** The network call did not produce an answer (refused, reset, timed out). */
export class GraphTransportError extends Error {
  constructor(
    message: string,
    /** The connection was refused: no byte of the request can have reached Meta. */
    readonly refused = false,
  ) {
    super(message)
  }
}

export type SendResponse = { messaging_product: 'whatsapp'; contacts?: { input: string; wa_id?: string; user_id?: string }[]; messages: { id: string; message_status?: string }[] }

export type GraphTemplate = {
  id: string
  name: string
  language: string
  status: string
  category: string
  components: { type: string; text?: string; format?: string; buttons?: { type: string; text: string }[] }[]
}

export type GraphPhoneNumber = {
  id: string
  display_phone_number?: string
  verified_name?: string
  quality_rating?: string
  name_status?: string
  throughput?: { level?: string }
  whatsapp_business_manager_messaging_limit?: string
  /** Deprecated by Meta in favour of the portfolio-wide limit above; read when that is absent. */
  messaging_limit_tier?: string
}

export type GraphBusinessProfile = { about?: string; address?: string; description?: string; email?: string; websites?: string[]; vertical?: string; profile_picture_url?: string; profile_picture_handle?: string }

export class GraphClient {
  constructor(
    /** Read at every call, so that new credentials take effect at once. */
    private readonly connection: { readonly apiBaseUrl: string; readonly accessToken: string },
    private readonly timeoutMs = 15_000,
  ) {}

  private get baseUrl(): string {
    return this.connection.apiBaseUrl
  }

  sendMessage(phoneNumberId: string, body: Record<string, unknown>): Promise<SendResponse> {
    return this.json('POST', `/${phoneNumberId}/messages`, { messaging_product: 'whatsapp', ...body })
  }

  /** Marks the message (and those before it) read; with `typing`, the customer sees us typing (until our reply, at most 25 s). */
  markRead(phoneNumberId: string, wamid: string, opts: { typing?: boolean } = {}): Promise<{ success: boolean }> {
    return this.json('POST', `/${phoneNumberId}/messages`, { messaging_product: 'whatsapp', status: 'read', message_id: wamid, ...(opts.typing ? { typing_indicator: { type: 'text' } } : {}) })
  }

  /** The number's name, verification and quality, as the channel's connection test shows them. */
  phoneNumber(phoneNumberId: string): Promise<GraphPhoneNumber> {
    return this.json('GET', `/${phoneNumberId}?fields=display_phone_number,verified_name,quality_rating,name_status,throughput,whatsapp_business_manager_messaging_limit,messaging_limit_tier`)
  }

  /** The profile customers see: about, address, description, email, websites, vertical. */
  async businessProfile(phoneNumberId: string): Promise<GraphBusinessProfile> {
    const res = await this.json<{ data: GraphBusinessProfile[] }>('GET', `/${phoneNumberId}/whatsapp_business_profile?fields=about,address,description,email,profile_picture_url,websites,vertical`)
    return res.data[0] ?? {}
  }

  updateBusinessProfile(phoneNumberId: string, profile: GraphBusinessProfile): Promise<{ success: boolean }> {
    return this.json('POST', `/${phoneNumberId}/whatsapp_business_profile`, { messaging_product: 'whatsapp', ...profile })
  }

  /**
   * Meta's resumable upload through the app (`/{app-id}/uploads`, then the bytes to the session):
   * answers the file handle that the business profile takes as `profile_picture_handle`.
   */
  async uploadThroughApp(appId: string, file: { bytes: Buffer; mimeType: string; filename: string }): Promise<string> {
    const q = new URLSearchParams({ file_name: file.filename, file_length: String(file.bytes.length), file_type: file.mimeType })
    const session = await this.json<{ id: string }>('POST', `/${appId}/uploads?${q}`)
    const res = await this.fetch(`${this.baseUrl}/${session.id}`, { method: 'POST', headers: { file_offset: '0', 'content-type': 'application/octet-stream' }, body: new Uint8Array(file.bytes) })
    if (!res.ok) throw await this.errorOf(res)
    return ((await res.json()) as { h: string }).h
  }

  listTemplates(wabaId: string): Promise<{ data: GraphTemplate[] }> {
    return this.json('GET', `/${wabaId}/message_templates?fields=name,language,status,category,components&limit=200`)
  }

  createTemplate(wabaId: string, t: { name: string; language: string; category: string; components: Record<string, unknown>[] }): Promise<{ id: string; status: string; category: string }> {
    return this.json('POST', `/${wabaId}/message_templates`, t)
  }

  deleteTemplate(wabaId: string, name: string): Promise<{ success: boolean }> {
    return this.json('DELETE', `/${wabaId}/message_templates?name=${encodeURIComponent(name)}`)
  }

  getMedia(mediaId: string): Promise<{ url: string; mime_type: string; sha256: string; file_size: number | string; id: string }> {
    return this.json('GET', `/${mediaId}`)
  }

  /** Downloads a media URL (it needs the same bearer token). */
  async download(url: string): Promise<Buffer> {
    const res = await this.fetch(url, { method: 'GET' })
    if (!res.ok) throw await this.errorOf(res)
    return Buffer.from(await res.arrayBuffer())
  }

  async uploadMedia(phoneNumberId: string, file: { bytes: Buffer; mimeType: string; filename: string }): Promise<{ id: string }> {
    const form = new FormData()
    form.set('messaging_product', 'whatsapp')
    form.set('type', file.mimeType)
    form.set('file', new Blob([new Uint8Array(file.bytes)], { type: file.mimeType }), file.filename)
    const res = await this.fetch(`${this.baseUrl}/${phoneNumberId}/media`, { method: 'POST', body: form })
    if (!res.ok) throw await this.errorOf(res)
    return (await res.json()) as { id: string }
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    let answer
    try {
      answer = await requestJson(method, `${this.baseUrl}${path}`, { authorization: `Bearer ${this.connection.accessToken}` }, body === undefined ? undefined : JSON.stringify(body), this.timeoutMs)
    } catch (error) {
      const refused = error instanceof TransportFailure && error.refused
      throw new GraphTransportError(`Graph API unreachable: ${(error as Error).message}`, refused)
    }
    const parsed = parseJson(answer.body)
    if (answer.status < 200 || answer.status >= 300) return Promise.reject(graphError(answer.status, parsed))
    if (parsed === undefined) throw new GraphApiError(answer.status, undefined, undefined, 'Graph answered with a body that is not JSON')
    return parsed as T
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, {
        ...init,
        headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${this.connection.accessToken}` },
        signal: AbortSignal.timeout(this.timeoutMs),
      })
    } catch (error) {
      const code = String((error as { cause?: { code?: string } }).cause?.code ?? '')
      throw new GraphTransportError(`Graph API unreachable: ${(error as Error).message}`, code === 'ECONNREFUSED')
    }
  }

  private async errorOf(res: Response): Promise<GraphApiError> {
    return graphError(res.status, parseJson(Buffer.from(await res.arrayBuffer())))
  }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
}

function graphError(status: number, body: unknown): GraphApiError {
  const err = (body as { error?: GraphErrorBody } | undefined)?.error
  return new GraphApiError(status, err?.code, err?.error_data?.details, err?.message ?? `HTTP ${status}`)
}
