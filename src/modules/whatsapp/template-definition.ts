import { z } from 'zod'

const PLACEHOLDER = /\{\{(\d+)\}\}/g

/**
 * Meta's rules for a text with positional variables: every `{{` and `}}` belongs to a `{{n}}`,
 * the numbers run 1…n without gaps, and the text neither starts nor ends with a variable.
 * Returns the number of variables, or the problem.
 */
export function variablesOf(text: string): { count: number } | { error: string } {
  const stripped = text.replaceAll(PLACEHOLDER, '')
  if (stripped.includes('{{') || stripped.includes('}}') || /\{\{[^}]*$/.test(stripped)) return { error: 'unbalanced or malformed placeholder: write variables as {{1}}, {{2}}, …' }
  const numbers = [...text.matchAll(PLACEHOLDER)].map((m) => Number(m[1]))
  const distinct = [...new Set(numbers)].sort((a, b) => a - b)
  if (distinct.some((n, i) => n !== i + 1)) return { error: `variables must be numbered 1 to ${distinct.length} without gaps (found ${distinct.map((n) => `{{${n}}}`).join(', ')})` }
  if (distinct.length && (/^\s*\{\{\d+\}\}/.test(text) || /\{\{\d+\}\}\s*[.!?]?\s*$/.test(text))) return { error: 'a variable may not stand at the very start or end of the text' }
  return { count: distinct.length }
}

const button = z.discriminatedUnion('type', [
  z.object({ type: z.literal('quick_reply'), text: z.string().trim().min(1).max(25) }),
  z.object({ type: z.literal('url'), text: z.string().trim().min(1).max(25), url: z.url({ protocol: /^https?$/ }).max(2000) }),
])

/** A new template as Postfach's API takes it (the Graph shape is built from it). */
export const templateDefinition = z
  .object({
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'lowercase letters, digits and underscores'),
    language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a language code such as de, en or en_US'),
    category: z.enum(['marketing', 'utility', 'authentication']),
    header: z.string().trim().max(60).optional(),
    body: z.string().trim().min(1).max(1024),
    footer: z.string().trim().max(60).optional(),
    buttons: z.array(button).max(10).default([]),
    /** One sample value per body variable, for Meta's review. */
    examples: z.array(z.string().trim().min(1).max(200)).default([]),
  })
  .superRefine((t, ctx) => {
    const body = variablesOf(t.body)
    if ('error' in body) ctx.addIssue({ code: 'custom', path: ['body'], message: body.error })
    else if (t.category !== 'authentication' && t.examples.length !== body.count) ctx.addIssue({ code: 'custom', path: ['examples'], message: `one example per variable: the body has ${body.count}, ${t.examples.length} given` })
    if (t.header) {
      const header = variablesOf(t.header)
      if ('error' in header) ctx.addIssue({ code: 'custom', path: ['header'], message: header.error })
      else if (header.count > 0) ctx.addIssue({ code: 'custom', path: ['header'], message: 'variables in the header are not supported' })
    }
    if (t.footer && /\{\{|\}\}/.test(t.footer)) ctx.addIssue({ code: 'custom', path: ['footer'], message: 'the footer takes no variables' })
    if (t.buttons.filter((b) => b.type === 'url').length > 2) ctx.addIssue({ code: 'custom', path: ['buttons'], message: 'at most two URL buttons' })
  })
export type TemplateDefinition = z.infer<typeof templateDefinition>

/** The Graph API's `components` for a definition. Authentication templates have Meta's fixed one-time-code shape. */
export function graphComponents(t: TemplateDefinition): Record<string, unknown>[] {
  if (t.category === 'authentication') {
    return [
      { type: 'BODY', add_security_recommendation: true },
      { type: 'FOOTER', code_expiration_minutes: 10 },
      { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: t.language.startsWith('de') ? 'Code kopieren' : 'Copy code' }] },
    ]
  }
  return [
    ...(t.header ? [{ type: 'HEADER', format: 'TEXT', text: t.header }] : []),
    { type: 'BODY', text: t.body, ...(t.examples.length ? { example: { body_text: [t.examples] } } : {}) },
    ...(t.footer ? [{ type: 'FOOTER', text: t.footer }] : []),
    ...(t.buttons.length ? [{ type: 'BUTTONS', buttons: t.buttons.map((b) => (b.type === 'url' ? { type: 'URL', text: b.text, url: b.url } : { type: 'QUICK_REPLY', text: b.text })) }] : []),
  ]
}
