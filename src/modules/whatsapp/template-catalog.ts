import type { GraphClient, GraphTemplate } from './graph-client.js'

/**
 * The business account's templates, read from the Graph API and kept for a minute: the picker
 * and the send path (a template's category decides whether it needs marketing consent) share it.
 */
export class TemplateCatalog {
  private cached: { at: number; items: GraphTemplate[] } | undefined

  constructor(
    private readonly graph: GraphClient,
    private readonly account: { readonly businessAccountId: string },
    private readonly ttlMs = 60_000,
  ) {}

  async list(): Promise<GraphTemplate[]> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.items
    const { data } = await this.graph.listTemplates(this.account.businessAccountId)
    this.cached = { at: Date.now(), items: data }
    return data
  }

  /** Meta reported a change (status, quality) or Postfach created or deleted one: read again next time. */
  invalidate(): void {
    this.cached = undefined
  }

  /** A template by name and language, if the account has it. */
  async find(name: string, language: string): Promise<GraphTemplate | undefined> {
    return (await this.list()).find((t) => t.name === name && t.language === language)
  }

  /** The category of a template by name and language, if the account has it. */
  async categoryOf(name: string, language: string): Promise<string | undefined> {
    return (await this.find(name, language))?.category
  }
}
