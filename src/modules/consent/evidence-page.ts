import type { ConsentEventRow } from '../../db/schema.js'

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

export type EvidenceInput = {
  company: string
  contact: { id: string; waId: string | null; name: string | null }
  purposes: { key: string; label: string; state: string; events: ConsentEventRow[] }[]
  /** Raw customer messages cited as evidence, by wamid. */
  messages: Map<string, string>
  printedAt: string
}

/**
 * The consent evidence of one contact as a printable page (GDPR-7, UWG-DOI: "stored and printable
 * at any time"): every event with the exact wording, its hash, the notice version, source and
 * evidence, and the raw confirming WhatsApp message. Plain HTML, no script, prints on A4.
 */
export function renderEvidence(e: EvidenceInput): string {
  const rows = e.purposes
    .map(
      (p) => `<section><h2>${esc(p.label)} <small>(${esc(p.key)})</small>: ${esc(p.state)}</h2>
${p.events.length === 0 ? '<p>Keine Ereignisse.</p>' : ''}
${p.events
  .map((ev) => {
    const evidence = JSON.parse(ev.evidence) as { wamid?: string }
    const raw = evidence.wamid ? e.messages.get(evidence.wamid) : undefined
    return `<article><h3>${esc(ev.kind)} · ${esc(ev.occurred_at)} · ${esc(ev.channel)}</h3>
<dl>
${ev.text ? `<dt>Wortlaut</dt><dd>${esc(ev.text)}</dd><dt>SHA-256 des Wortlauts</dt><dd><code>${esc(ev.text_sha256 ?? '')}</code></dd>` : ''}
${ev.notice_version ? `<dt>Datenschutzhinweis</dt><dd>Version ${esc(ev.notice_version)}</dd>` : ''}
<dt>Quelle</dt><dd><code>${esc(ev.source)}</code></dd>
<dt>Nachweis</dt><dd><code>${esc(ev.evidence)}</code></dd>
${raw ? `<dt>WhatsApp-Nachricht (Rohdaten)</dt><dd><pre>${esc(raw)}</pre></dd>` : ''}
${ev.expires_at ? `<dt>Verfällt ohne Bestätigung</dt><dd>${esc(ev.expires_at)}</dd>` : ''}
<dt>Erfasst</dt><dd>${esc(ev.recorded_at)}${ev.recorded_by ? ` durch ${esc(ev.recorded_by)}` : ''} · Ereignis ${esc(ev.id)}</dd>
</dl></article>`
  })
  .join('\n')}
</section>`,
    )
    .join('\n')
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Einwilligungsnachweis ${esc(e.contact.waId ?? e.contact.id)}</title>
<style>body{font:12pt/1.4 system-ui,sans-serif;margin:2cm;color:#000}h1{font-size:16pt}h2{font-size:13pt;border-bottom:1px solid #999}h3{font-size:11pt;margin:12px 0 4px}
dl{display:grid;grid-template-columns:12em 1fr;gap:2px 12px;margin:0}dt{color:#444}dd{margin:0;word-break:break-word}pre{white-space:pre-wrap;font-size:9pt;margin:0}
article{break-inside:avoid;border-left:3px solid #ccc;padding-left:8px;margin-bottom:8px}@page{size:A4;margin:1.5cm}</style></head>
<body><h1>Einwilligungsnachweis</h1>
<p>Verantwortlich: ${esc(e.company)}<br>Kontakt: ${esc(e.contact.name ?? '—')} · +${esc(e.contact.waId ?? '')} · ${esc(e.contact.id)}<br>Erstellt: ${esc(e.printedAt)}</p>
${rows}
<p><small>Einwilligungsereignisse werden nie geändert oder gelöscht; der aktuelle Stand ergibt sich aus ihrer zeitlichen Folge.</small></p>
</body></html>`
}
