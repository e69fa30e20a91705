type Component = { type?: unknown; text?: unknown; buttons?: unknown; sub_type?: unknown; index?: unknown; parameters?: unknown }

const list = (v: unknown): Component[] => (Array.isArray(v) ? v.filter((x): x is Component => typeof x === 'object' && x !== null) : [])

/** A parameter as the phone shows it (text, or the fallback WhatsApp renders for currency and dates). */
function parameterText(p: Component & { currency?: { fallback_value?: unknown }; date_time?: { fallback_value?: unknown } }): string {
  return String(p.text ?? p.currency?.fallback_value ?? p.date_time?.fallback_value ?? '')
}

/**
 * A sent template as the customer's phone shows it: the approved text with the send's parameters
 * filled in, and its quick-reply buttons with the payload each sends back (the send's own payload
 * for that button, else the button's text, as WhatsApp does).
 */
export function previewTemplate(templates: { name: string; language: string; components: unknown[] }[], sent: { name?: unknown; language?: { code?: unknown }; components?: unknown }) {
  const template = templates.find((t) => t.name === sent.name && t.language === sent.language?.code)
  if (!template) return undefined
  const sentParts = list(sent.components)
  const fill = (type: string) => {
    const text = list(template.components).find((c) => String(c.type).toUpperCase() === type)?.text
    if (typeof text !== 'string') return ''
    const params = list(sentParts.find((c) => String(c.type).toLowerCase() === type.toLowerCase())?.parameters)
    return text.replace(/\{\{(\d+)\}\}/g, (whole, n: string) => (params[Number(n) - 1] ? parameterText(params[Number(n) - 1]!) : whole))
  }
  const buttons = list(list(template.components).find((c) => String(c.type).toUpperCase() === 'BUTTONS')?.buttons)
  const quickReplies = buttons.flatMap((b, index) => {
    if (String(b.type).toUpperCase() !== 'QUICK_REPLY' || typeof b.text !== 'string') return []
    const own = sentParts.find((c) => String(c.type).toLowerCase() === 'button' && String(c.sub_type).toLowerCase() === 'quick_reply' && Number(c.index) === index)
    const payload = list(own?.parameters).find((p) => p.type === 'payload') as { payload?: unknown } | undefined
    return [{ text: b.text, payload: typeof payload?.payload === 'string' ? payload.payload : b.text }]
  })
  return { text: [fill('HEADER'), fill('BODY'), fill('FOOTER')].filter(Boolean).join('\n\n'), quickReplies }
}
