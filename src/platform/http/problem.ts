import type { FastifyError, FastifyInstance } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { AppError, PROBLEM_BASE, PROBLEM_TITLES } from '../errors.js'

export type Problem = { type: string; title: string; status: number; detail: string; [k: string]: unknown }

/** Maps Fastify's own error codes to our problem types. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-request',
  FST_ERR_VALIDATION: 'validation-failed',
}

/**
 * Every error leaves as `application/problem+json` (RFC 9457) with a stable `type`. Server errors
 * are logged with their cause; their detail is not shown to the caller.
 */
export function installProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    let problem: Problem
    if (error instanceof AppError) {
      problem = { type: error.type, title: PROBLEM_TITLES[error.status] ?? 'Error', status: error.status, detail: error.message, ...(error.details ?? {}) }
      if (error.headers) void reply.headers(error.headers)
      if (error.status >= 500) request.log.error({ err: error.cause ?? error }, error.message)
    } else if (hasZodFastifySchemaValidationErrors(error)) {
      problem = {
        type: PROBLEM_BASE + 'validation-failed',
        title: 'Bad Request',
        status: 400,
        detail: `The request ${error.validationContext ?? 'body'} is invalid.`,
        errors: error.validation.map((v) => ({ path: v.instancePath || '/', message: v.message })),
      }
    } else if (error.statusCode && error.statusCode < 500) {
      const status = error.statusCode
      problem = {
        type: PROBLEM_BASE + (FASTIFY_CODES[error.code] ?? (error.validation ? 'validation-failed' : 'bad-request')),
        title: PROBLEM_TITLES[status] ?? 'Error',
        status,
        detail: error.message,
      }
    } else {
      request.log.error({ err: error }, 'unhandled error')
      problem = { type: PROBLEM_BASE + 'internal', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred.' }
    }
    return reply.code(problem.status).type('application/problem+json').send(problem)
  })

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/problem+json')
      .send({ type: PROBLEM_BASE + 'not-found', title: 'Not Found', status: 404, detail: `No route ${request.method} ${request.url.split('?')[0]}.` }),
  )
}
