import PDFDocument from 'pdfkit'
import { ARCHIVE_CHANGES } from './releases.js'
import type { procedureDocument } from './procedure-doc.js'

type ProcedureDocument = Awaited<ReturnType<typeof procedureDocument>>

/** The Verfahrensdokumentation as a PDF for the tax auditor's file: the same sections and history as the HTML. */
export function procedurePdf(d: ProcedureDocument): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: `Verfahrensdokumentation Postfach ${d.version}`, Author: d.company ?? 'Postfach' } })
  const chunks: Buffer[] = []
  doc.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))))
  doc.font('Helvetica-Bold').fontSize(16).text('Verfahrensdokumentation: WhatsApp-Kommunikation mit Postfach')
  doc.moveDown(0.3).font('Helvetica').fontSize(10).text(`${d.company ?? ''} · Dokumentversion ${d.version} · erzeugt ${d.generatedAt}`)
  for (const s of d.sections) {
    doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12).text(s.title)
    doc.moveDown(0.2).font('Helvetica').fontSize(10)
    for (const p of s.paragraphs) doc.text(p, { paragraphGap: 4 })
  }
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12).text('8. Versionsgeschichte')
  doc.moveDown(0.2).font('Helvetica').fontSize(10)
  for (const c of ARCHIVE_CHANGES) doc.text(`• ${c.version} (${c.date}): ${c.change}`, { paragraphGap: 2 })
  doc.moveDown(0.5).font('Helvetica-Bold').text('Im Einsatz')
  doc.font('Helvetica')
  for (const r of d.releases) doc.text(`• Version ${r.version} seit ${r.since}, ab Journaleintrag ${r.fromJournalEntry}`, { paragraphGap: 2 })
  doc.end()
  return done
}
