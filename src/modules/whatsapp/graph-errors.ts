/**
 * Classification of Cloud API error codes (reference: shared/whatsapp-cloud-api.md §9). The
 * sender branches on `action`, never on message text.
 * - retry: transient or throttling; try again with backoff.
 * - fail: permanent for this message; stored with a readable reason.
 * - pause: the channel cannot send at all (token, account); stop the queue and alert.
 */
export type ErrorAction = 'retry' | 'fail' | 'pause'
export type ErrorClass = { action: ErrorAction; reason: string }

const TABLE: Record<number, ErrorClass> = {
  0: { action: 'pause', reason: 'token-invalid' },
  190: { action: 'pause', reason: 'token-invalid' },
  10: { action: 'pause', reason: 'permission-denied' },
  3: { action: 'pause', reason: 'permission-denied' },
  368: { action: 'pause', reason: 'account-blocked' },
  131031: { action: 'pause', reason: 'account-locked' },
  131042: { action: 'pause', reason: 'payment-problem' },
  131045: { action: 'pause', reason: 'registration-error' },
  133010: { action: 'pause', reason: 'number-not-registered' },
  2: { action: 'retry', reason: 'service-unavailable' },
  4: { action: 'retry', reason: 'rate-limited' },
  80007: { action: 'retry', reason: 'rate-limited' },
  130429: { action: 'retry', reason: 'throughput-exceeded' },
  131000: { action: 'retry', reason: 'temporary-error' },
  131016: { action: 'retry', reason: 'service-unavailable' },
  131056: { action: 'retry', reason: 'pair-rate-limited' },
  131057: { action: 'retry', reason: 'maintenance' },
  133004: { action: 'retry', reason: 'service-unavailable' },
  131047: { action: 'fail', reason: 'window-closed' },
  131026: { action: 'fail', reason: 'recipient-not-on-whatsapp' },
  131050: { action: 'fail', reason: 'marketing-opt-out' },
  131049: { action: 'fail', reason: 'marketing-limit' },
  130472: { action: 'fail', reason: 'marketing-experiment' },
  131048: { action: 'fail', reason: 'spam-rate-limited' },
  131051: { action: 'fail', reason: 'unsupported-type' },
  131052: { action: 'fail', reason: 'media-error' },
  131053: { action: 'fail', reason: 'media-error' },
  131021: { action: 'fail', reason: 'recipient-is-sender' },
  131030: { action: 'fail', reason: 'recipient-not-allowed' },
  132000: { action: 'fail', reason: 'template-parameters' },
  132001: { action: 'fail', reason: 'template-missing' },
  132005: { action: 'fail', reason: 'template-too-long' },
  132007: { action: 'fail', reason: 'template-policy' },
  132012: { action: 'fail', reason: 'template-parameters' },
  132015: { action: 'fail', reason: 'template-paused' },
  132016: { action: 'fail', reason: 'template-disabled' },
  131062: { action: 'fail', reason: 'bsuid-not-supported' },
  137000: { action: 'fail', reason: 'identity-changed' },
}

/** Readable reasons for agents, by reason key. */
export const REASON_TEXT: Record<string, string> = {
  'window-closed': 'More than 24 hours since the customer last wrote: send a template to re-engage.',
  'recipient-not-on-whatsapp': 'The recipient is not on WhatsApp (or uses an outdated app).',
  'marketing-opt-out': 'The recipient stopped marketing messages from this business.',
  'marketing-limit': 'WhatsApp limited marketing messages to this recipient; do not retry within 24 hours.',
  'template-missing': 'The template does not exist in this language or is not approved.',
  'template-paused': 'The template is paused by WhatsApp because of low quality.',
  'template-disabled': 'The template is disabled by WhatsApp.',
  'template-parameters': 'The template parameters do not match the template.',
  'media-error': 'The media could not be processed by WhatsApp.',
  'token-invalid': 'The access token is invalid or expired: the channel is paused until a new token is set.',
}

export function classifyGraphError(code: number | undefined, httpStatus: number): ErrorClass {
  if (code !== undefined && TABLE[code]) return TABLE[code]
  if (code !== undefined && code >= 200 && code <= 299) return { action: 'pause', reason: 'permission-denied' }
  if (httpStatus >= 500 || httpStatus === 429) return { action: 'retry', reason: 'service-unavailable' }
  return { action: 'fail', reason: 'rejected' }
}

/**
 * Failures that sending again cannot fix, or must not try: the customer's choice (opt-out), the
 * window, or who the recipient is. Everything else may be sent again deliberately by an agent.
 */
const NEVER_AGAIN = new Set(['no-consent', 'withdrawn', 'objected', 'suppressed', 'window-closed', 'recipient-not-on-whatsapp', 'marketing-opt-out', 'marketing-limit', 'recipient-is-sender', 'recipient-not-allowed', 'bsuid-not-supported', 'identity-changed'])

/** Whether a failed send (stored with its reason as `error_title`) may be sent again by an agent. */
export function mayResendFailure(reason: string | null): boolean {
  return reason === null || !NEVER_AGAIN.has(reason)
}
