/**
 * The public opt-in page: server-rendered HTML that works without JavaScript, sets no cookie and
 * loads nothing from another origin (TDDDG-25). Bilingual (de default, en by `?lang=en`).
 */
export type OptinLang = 'de' | 'en'
export type OptinContext = {
  lang: OptinLang
  purposeKey: string
  purposeLabel: string
  company: { name: string; address: string; email?: string | undefined }
  notice: { url: string; version: string }
}

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;')

/** The exact consent wording; its SHA-256 is recorded with the consent (GDPR-7, WA-1: business name and WhatsApp named). */
export function consentText(c: OptinContext): string {
  return c.lang === 'en'
    ? `Yes, I want to receive “${c.purposeLabel}” from ${c.company.name} via WhatsApp. I can withdraw this consent at any time, for example by replying STOP. WhatsApp is a service of Meta Platforms, which processes the messages on ${c.company.name}'s behalf.`
    : `Ja, ich möchte „${c.purposeLabel}“ von ${c.company.name} per WhatsApp erhalten. Diese Einwilligung kann ich jederzeit widerrufen, zum Beispiel mit der Antwort STOP. WhatsApp ist ein Dienst von Meta Platforms, der die Nachrichten im Auftrag von ${c.company.name} verarbeitet.`
}

const T = {
  de: { title: 'Per WhatsApp informiert bleiben', phone: 'Ihre Mobilnummer (mit WhatsApp)', submit: 'Einwilligung senden', privacy: 'Datenschutzhinweise', version: 'Version', who: 'Anbieter', other: 'English', doneTitle: 'Fast geschafft', done: 'Wir haben Ihnen eine WhatsApp-Nachricht geschickt. Bitte bestätigen Sie dort mit JA – erst dann erhalten Sie Nachrichten. Ohne Bestätigung verfällt die Anmeldung nach 48 Stunden.', doneNote: 'Ist die Nummer nicht bei WhatsApp registriert, kommt keine Nachricht an.', errorTitle: 'Bitte prüfen', back: 'Zurück zum Formular' },
  en: { title: 'Stay informed via WhatsApp', phone: 'Your mobile number (on WhatsApp)', submit: 'Send consent', privacy: 'Privacy notice', version: 'version', who: 'Provider', other: 'Deutsch', doneTitle: 'Almost done', done: 'We have sent you a WhatsApp message. Please confirm there with JA (yes) – only then will you receive messages. Without confirmation the sign-up lapses after 48 hours.', doneNote: 'If the number is not registered with WhatsApp, no message arrives.', errorTitle: 'Please check', back: 'Back to the form' },
}

function layout(c: OptinContext, title: string, body: string): string {
  const t = T[c.lang]
  const other = c.lang === 'de' ? 'en' : 'de'
  return `<!doctype html>
<html lang="${c.lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} – ${esc(c.company.name)}</title><link rel="stylesheet" href="/optin-assets/optin.css"></head>
<body><main>
<p class="lang"><a href="?lang=${other}" hreflang="${other}">${t.other}</a></p>
<h1>${esc(title)}</h1>
${body}
<footer><p>${t.who}: ${esc(c.company.name)}, ${esc(c.company.address)}${c.company.email ? `, ${esc(c.company.email)}` : ''}</p>
<p><a href="${esc(c.notice.url)}">${t.privacy}</a> (${t.version} ${esc(c.notice.version)})</p></footer>
</main></body></html>`
}

export function renderForm(c: OptinContext, o: { phone?: string; error?: string } = {}): string {
  const t = T[c.lang]
  return layout(
    c,
    o.error ? t.errorTitle : t.title,
    `${o.error ? `<p class="error" role="alert">${esc(o.error)}</p>` : ''}
<form method="post" action="/optin/${esc(c.purposeKey)}?lang=${c.lang}">
<label for="phone">${t.phone}</label>
<input id="phone" name="phone" type="tel" autocomplete="tel" required maxlength="30" value="${esc(o.phone ?? '')}" placeholder="+49 151 12345678">
<p class="consent"><input id="consent" name="consent" type="checkbox" value="yes" required> <label for="consent">${esc(consentText(c))}</label></p>
<button type="submit">${t.submit}</button>
</form>`,
  )
}

export function renderDone(c: OptinContext): string {
  const t = T[c.lang]
  return layout(c, t.doneTitle, `<p role="status">${t.done}</p><p class="note">${t.doneNote}</p>`)
}

export const OPTIN_CSS = `body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:0;background:#f0f2f5;color:#111b21}
main{max-width:560px;margin:0 auto;padding:24px 20px;background:#fff;min-height:100vh;box-sizing:border-box}
h1{color:#075e54;font-size:1.5rem}label{display:block;font-weight:600;margin:12px 0 4px}
input[type=tel]{width:100%;box-sizing:border-box;padding:10px;font-size:1.1rem;border:1px solid #c5ccd1;border-radius:6px}
.consent{display:flex;gap:10px;align-items:flex-start;margin:16px 0}.consent label{font-weight:400;margin:0}.consent input{margin-top:4px;width:20px;height:20px}
button{background:#00806a;color:#fff;border:0;border-radius:6px;padding:12px 18px;font-size:1rem;cursor:pointer}
:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}.error{color:#b3261e;font-weight:600}.note{color:#54656f}
footer{margin-top:32px;font-size:.85rem;color:#54656f}.lang{text-align:right;margin:0}`
