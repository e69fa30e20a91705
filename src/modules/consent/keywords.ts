/**
 * Opt-out and opt-in keywords, matched against a customer's whole message: case- and
 * accent-insensitive, surrounding punctuation and spaces ignored ("Stopp!" = "stopp").
 */
export const DEFAULT_KEYWORDS = {
  stop: ['stop', 'stopp', 'abmelden', 'abbestellen', 'unsubscribe', 'austragen'],
  // Not "ja"/"yes": an answer to an agent's question must never become a marketing consent.
  start: ['start', 'anmelden', 'subscribe'],
  /** Confirm a pending double opt-in only (the confirmation template's button says JA). */
  confirm: ['ja', 'yes', 'bestätigen', 'confirm', 'ok'],
}

export const normalizeKeyword = (text: string) =>
  text
    .normalize('NFD')
    .replaceAll(/\p{M}/gu, '')
    .toLowerCase()
    .replaceAll(/[^\p{L}\p{N}\s]/gu, ' ')
    .replaceAll(/\s+/g, ' ')
    .trim()

export type KeywordMatch = { action: 'stop' } | { action: 'start'; topic: string | null }

export class KeywordMatcher {
  private stop = new Set<string>()
  private start = new Set<string>()
  private confirm = new Set<string>()
  /** As the admin wrote them (shown back), while matching uses the normalised forms. */
  private written: { stop: string[]; start: string[]; confirm: string[] } = { stop: [], start: [], confirm: [] }

  constructor(keywords = DEFAULT_KEYWORDS) {
    this.configure(keywords)
  }

  configure(keywords: { stop: string[]; start: string[]; confirm: string[] }): void {
    this.written = { stop: [...keywords.stop], start: [...keywords.start], confirm: [...keywords.confirm] }
    this.stop = new Set(keywords.stop.map(normalizeKeyword))
    this.start = new Set(keywords.start.map(normalizeKeyword))
    this.confirm = new Set(keywords.confirm.map(normalizeKeyword))
  }

  /** Whether a text names a STOP keyword anywhere ("Abmelden mit STOP"): a template's opt-out notice. */
  mentionsStop(text: string): boolean {
    return normalizeKeyword(text)
      .split(' ')
      .some((w) => this.stop.has(w))
  }

  get current(): { stop: string[]; start: string[]; confirm: string[] } {
    return { stop: [...this.written.stop], start: [...this.written.start], confirm: [...this.written.confirm] }
  }

  /** A confirmation word alone ("JA", "Ja!", "Bestätigen"): counts only while a request is pending. */
  isConfirmation(text: string): boolean {
    return this.confirm.has(normalizeKeyword(text))
  }

  /** STOP-like words alone; START-like words alone or followed by a topic ("START newsletter"). */
  match(text: string): KeywordMatch | undefined {
    const t = normalizeKeyword(text)
    if (t.length === 0 || t.length > 60) return undefined
    if (this.stop.has(t)) return { action: 'stop' }
    const [first, ...rest] = t.split(' ')
    if (first && this.start.has(first)) return { action: 'start', topic: rest.length ? rest.join(' ') : null }
    return undefined
  }
}
