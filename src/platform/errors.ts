/**
 * Errors with a stable code, an HTTP status and a problem `type` URI (RFC 9457). Codes are
 * `module.snake_case` and never reused; clients branch on `type`/`code`, never on text.
 */
export const PROBLEM_BASE = 'https://postfach.dev/problems/'

export class AppError extends Error {
  readonly code: string
  readonly status: number
  readonly details: Record<string, unknown> | undefined
  readonly headers: Record<string, string> | undefined

  constructor(
    code: string,
    status: number,
    message: string,
    opts: { details?: Record<string, unknown>; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: opts.cause })
    this.code = code
    this.status = status
    this.details = opts.details
    this.headers = opts.headers
  }

  /** The problem `type`: the code's last segment, kebab-cased (`inbox.window_closed` → `…/window-closed`). */
  get type(): string {
    return PROBLEM_BASE + (this.code.split('.').pop() ?? this.code).replaceAll('_', '-')
  }
}

export const badRequest = (detail: string, details?: Record<string, unknown>) =>
  new AppError('http.bad_request', 400, detail, details ? { details } : {})
export const unauthorized = (detail = 'Authentication required.') => new AppError('auth.unauthorized', 401, detail)
export const forbidden = (detail = 'Your role does not allow this.') => new AppError('auth.forbidden', 403, detail)
export const notFound = (what: string) => new AppError('http.not_found', 404, `${what} not found.`)
export const conflict = (code: string, detail: string, details?: Record<string, unknown>) =>
  new AppError(code, 409, detail, details ? { details } : {})
export const unavailable = (detail: string, cause?: unknown) =>
  new AppError('http.unavailable', 503, detail, { cause })

export const PROBLEM_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}
