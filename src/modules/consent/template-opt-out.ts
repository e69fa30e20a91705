import type { GraphTemplate } from '../whatsapp/graph-client.js'
import type { KeywordMatcher } from './keywords.js'

/**
 * Whether a template tells the recipient how to object: a quick-reply button or a text (footer,
 * body) naming a STOP keyword. Advertising must offer this with every message (§ 7(2) Nr. 3 and
 * (3) Nr. 4 UWG) and point it out at the first communication at the latest (Art. 21(4) GDPR), so
 * a marketing send with a template that lacks it is refused, the first one included.
 */
export function hasOptOut(template: GraphTemplate, keywords: KeywordMatcher): boolean {
  return template.components.some((c) => (c.text && keywords.mentionsStop(c.text)) || (c.buttons ?? []).some((b) => keywords.mentionsStop(b.text)))
}
