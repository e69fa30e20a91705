/** Graph API error bodies exactly as Meta shapes them. */
export class SimGraphError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
    readonly details?: string,
  ) {
    super(message)
  }

  toBody() {
    return {
      error: {
        message: `(#${this.code}) ${this.message}`,
        type: this.httpStatus === 401 ? 'OAuthException' : 'OAuthException',
        code: this.code,
        ...(this.details ? { error_data: { messaging_product: 'whatsapp', details: this.details } } : {}),
        fbtrace_id: 'A' + Math.random().toString(36).slice(2, 12).toUpperCase(),
      },
    }
  }
}

/** Recipient numbers with documented behaviour, for demos and tests (see README). */
export const MAGIC_RECIPIENTS = {
  notOnWhatsApp: '491550000001', // async failed 131026
  marketingOptOut: '491550000002', // marketing templates fail with 131050
  blocked: '491550000003', // stays at `sent` forever
  noReadReceipts: '491550000004', // stops at `delivered`
  syncServerError: '491550000005', // HTTP 500 code 131000 on every send (retry path)
} as const
