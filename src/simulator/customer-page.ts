import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import type { SimulatorState } from './state.js'
import { previewTemplate } from './template-preview.js'

const customerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), name: z.string().max(100).optional(), body: z.string().min(1).max(4096), replyTo: z.string().optional() }),
  z.object({ type: z.literal('location'), name: z.string().max(100).optional(), latitude: z.number(), longitude: z.number(), label: z.string().max(200).optional() }),
  z.object({ type: z.literal('image'), name: z.string().max(100).optional(), caption: z.string().max(1024).optional() }),
  z.object({ type: z.literal('button'), name: z.string().max(100).optional(), replyTo: z.string(), id: z.string().max(256), title: z.string().max(100) }),
  z.object({ type: z.literal('list'), name: z.string().max(100).optional(), replyTo: z.string(), id: z.string().max(256), title: z.string().max(100), description: z.string().max(100).optional() }),
  // A tap on a template's quick-reply button: WhatsApp sends it as type "button" with the payload.
  z.object({ type: z.literal('quick_reply'), name: z.string().max(100).optional(), replyTo: z.string(), payload: z.string().max(1000), text: z.string().max(100) }),
])

const NOT_A_NUMBER = 'the customer number must be 7 to 15 digits'

// The picture a simulated customer sends: a parcel, 240×160 (PNG), big enough to see in the chat and the lightbox.
const PICTURE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAPAAAACgCAIAAAC9uXYyAAACFUlEQVR42u3csQmAMBBAUUcSnMElHMURnMIRLO2trK3tLd1AV4gg4aLv+AskPA7SpNqPU/pMlSsQ0BLQEtAS0AJaAloCWgJaAlpAS0BLQEtAS0ALaAloCWgJaAloAS0BLQEtAS0BLaAloCWgJaAloAW0BLQEtAS0BLSAloCWgJaAFtAS0BLQEtAS0AK6nIauDtuxjY+KfBaggQYaaKCBBhpooIEGGmiggQYaaKCBBhpooIEGGmiggQYaaKCBBhpooIEGGmiggQYa6CBNfRu2p6AjnwVooIEGGmiggQYaaKCBBhpooIEGGmiggQYaaKCBBhpooIEGGmiggQYaaKCBBhpooIEGGmiggQYaaKCBBhpooIEGGmiggQYaaKCBBhpooIEGGmiggQYaaKCBBhpooIEGGmiggQYaaKCBBhpooIEGGmiggQYaaKCBBhro90BfuQZooIEGGmiggQYaaKCBBhpooIEGOifo5r0BGmgbGmiggQYaaKCBBhpooD0KgQbahgYaaKCBBhpooIEGGmiPQqCBtqGBBhpooIEGGmiggQYaaKCBBhpooP3LATTQQAMNNNBAAw000EADDTTQQAMNdCLodZmLC+g8lWgDaKCBBhpooIEGGmiggf4BaAloAS0BLQEtAS0BLaAloCWgJaAloAW0BLQEtAS0BLSAloCWgJaAFtAS0BLQEtAS0AJaAloCWgJaSugG8qTdz22KKCMAAAAASUVORK5CYII=',
  'base64',
)

/**
 * The "customer phone": a page where a person picks a customer number and chats with the business.
 * Every message is sent to Postfach as a signed webhook, exactly as Meta would.
 */
export const customerPageRoutes: FastifyPluginAsync<{ state: SimulatorState }> = async (app, { state }) => {
  const config = { access: 'public' as const }
  const waIdParams = z.object({ waId: z.string().regex(/^\d{7,15}$/) })

  app.get('/simulator', { config }, async (_request, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'").send(PAGE))
  app.get('/simulator/app.js', { config }, async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(SCRIPT))

  // The numbers this simulated WhatsApp knows (who wrote, who was written to), newest first, so
  // the page can offer them: a customer the business started a conversation with by template is
  // one pick away, not a number to copy.
  app.get('/simulator/api/customers', { config }, async () => {
    const last = new Map<string, number>()
    const seen = (waId: string, at: number) => last.set(waId, Math.max(at, last.get(waId) ?? 0))
    for (const m of state.received) seen(m.waId, m.at)
    for (const m of state.sent) {
      const waId = state.numberOf(m)
      if (waId) seen(waId, m.at)
    }
    return {
      items: [...last].sort((a, b) => b[1] - a[1]).map(([waId, at]) => ({ waId, name: state.customers.get(waId)?.name ?? null, lastAt: new Date(at).toISOString() })),
    }
  })

  app.get('/simulator/api/customers/:waId/messages', { config }, async (request, reply) => {
    const params = waIdParams.safeParse(request.params)
    if (!params.success) return reply.code(400).send({ error: NOT_A_NUMBER })
    const { waId } = params.data
    const readUpTo = state.readUpTo(waId)
    const inbound = state.received.filter((m) => m.waId === waId).map((m) => ({ from: 'customer', wamid: m.wamid, type: m.type, content: m.content, at: m.at, read: m.at <= readUpTo }))
    const outbound = state.sent
      .filter((m) => state.numberOf(m) === waId)
      .map((m) => ({ from: 'business', wamid: m.wamid, type: m.type, content: m.body[m.type], at: m.at, ...(m.type === 'template' ? { template: previewTemplate(state.templates, m.body.template as object) } : {}) }))
    return { items: [...inbound, ...outbound].sort((a, b) => a.at - b.at), businessTyping: state.isTyping(waId) }
  })

  app.post('/simulator/api/customers/:waId/messages', { config }, async (request, reply) => {
    const params = waIdParams.safeParse(request.params)
    if (!params.success) return reply.code(400).send({ error: NOT_A_NUMBER })
    const { waId } = params.data
    const parsed = customerMessage.safeParse(request.body)
    if (!parsed.success) return reply.code(400).send({ error: parsed.error.issues.map((i) => i.message).join('; ') })
    const m = parsed.data
    const name = m.name ?? state.customer(waId).name
    let wamid: string
    if (m.type === 'text') wamid = state.customerSends(waId, name, 'text', { body: m.body }, m.replyTo ? { context: { from: state.identity.displayPhoneNumber, id: m.replyTo } } : {})
    else if (m.type === 'location') wamid = state.customerSends(waId, name, 'location', { latitude: m.latitude, longitude: m.longitude, ...(m.label ? { name: m.label } : {}) })
    else if (m.type === 'image') {
      const id = state.storeMedia(PICTURE, 'image/png')
      const sha256 = (await import('node:crypto')).createHash('sha256').update(PICTURE).digest('base64')
      wamid = state.customerSends(waId, name, 'image', { mime_type: 'image/png', sha256, id, ...(m.caption ? { caption: m.caption } : {}) })
    } else {
      const context = { context: { from: state.identity.displayPhoneNumber, id: m.replyTo } }
      if (m.type === 'button') wamid = state.customerSends(waId, name, 'interactive', { type: 'button_reply', button_reply: { id: m.id, title: m.title } }, context)
      else if (m.type === 'list') wamid = state.customerSends(waId, name, 'interactive', { type: 'list_reply', list_reply: { id: m.id, title: m.title, ...(m.description ? { description: m.description } : {}) } }, context)
      else wamid = state.customerSends(waId, name, 'button', { payload: m.payload, text: m.text }, context)
    }
    return reply.code(201).send({ wamid })
  })
}

const PAGE = `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Postfach – Kunden-Telefon (Simulator)</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#efeae2;color:#111;display:flex;flex-direction:column;min-height:100vh}
header{background:#075e54;color:#fff;padding:12px 16px}
header h1{font-size:18px;margin:0}
form.who{display:flex;gap:8px;padding:8px 16px;background:#f0f2f5;flex-wrap:wrap}
form.who input{max-width:100%;box-sizing:border-box}
#log{padding:16px;display:flex;flex-direction:column;gap:6px;flex:1}
.m{max-width:70%;padding:6px 10px;border-radius:8px;box-shadow:0 1px 1px #0002;white-space:pre-wrap}
.customer{align-self:flex-end;background:#d9fdd3}.business{align-self:flex-start;background:#fff}
.m button{margin:4px 4px 0 0}
.m .choices{display:flex;flex-wrap:wrap}
.m .ticks{font-size:12px;color:#667781;margin-left:6px}.m .ticks.read{color:#53bdeb}
#typing{padding:0 16px 8px;color:#667781;font-style:italic;min-height:1.2em}
form.send{display:flex;flex-wrap:wrap;gap:8px;padding:8px 16px;background:#f0f2f5;position:sticky;bottom:0}
form.send input{flex:1 1 10rem;min-width:0}
input,button{font:inherit;padding:6px 10px}
</style></head>
<body>
<header><h1>Kunden-Telefon · Customer phone (Cloud API simulator)</h1></header>
<form class="who" id="who"><label>Nummer / number <input id="waId" value="4915112345678" pattern="[0-9]{7,15}" required list="known" autocomplete="off"></label><datalist id="known"></datalist>
<label>Name <input id="name" value="Erika Mustermann" placeholder="optional"></label></form>
<main id="log" aria-live="polite"></main><p id="typing" aria-live="polite"></p>
<form class="send" id="send"><label for="text" hidden>Nachricht</label><input id="text" placeholder="Nachricht / message" autocomplete="off">
<button type="submit">Senden</button><button type="button" id="img">Bild</button><button type="button" id="loc">Standort</button></form>
<script src="/simulator/app.js"></script></body></html>`

const SCRIPT = `
const $ = (id) => document.getElementById(id)
const api = () => '/simulator/api/customers/' + encodeURIComponent($('waId').value) + '/messages'
async function post(body) {
  // No name typed: the simulator's own for this number ("Kunde 5678"), as a profile without one.
  body.name = $('name').value.trim() || undefined
  await fetch(api(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  refresh()
}
function render(items, typing) {
  $('typing').textContent = typing ? 'Postfach Demo schreibt …' : ''
  const log = $('log'); log.textContent = ''
  for (const m of items) {
    const div = document.createElement('div'); div.className = 'm ' + m.from
    const c = m.content || {}
    let text = c.body || (c.text && c.text.body) || c.caption || ''
    if (m.type === 'location') text = '📍 ' + c.latitude + ', ' + c.longitude
    if (m.type === 'image') text = '🖼 ' + (c.caption || 'Bild')
    if (m.type === 'template') text = m.template ? m.template.text : '📄 Template ' + c.name
    if (m.type === 'interactive' && c.body) text = c.body.text || ''
    if (m.type === 'interactive' && c.button_reply) text = '↩ ' + c.button_reply.title
    if (m.type === 'interactive' && c.list_reply) text = '↩ ' + c.list_reply.title
    if (m.type === 'button' && c.text) text = '↩ ' + c.text
    if (m.type === 'reaction') text = 'Reaktion ' + c.emoji
    div.textContent = text || '[' + m.type + ']'
    if (m.from === 'customer') {
      const ticks = document.createElement('span'); ticks.className = m.read ? 'ticks read' : 'ticks'
      ticks.textContent = '✓✓'; ticks.title = m.read ? 'gelesen' : 'zugestellt'
      div.appendChild(ticks)
    }
    // What the customer can tap: reply buttons, list rows, a template's quick replies.
    const choices = []
    if (m.from === 'business' && m.type === 'interactive' && c.action) {
      for (const b of c.action.buttons || []) choices.push([b.reply.title, { type: 'button', id: b.reply.id, title: b.reply.title }])
      for (const section of c.action.sections || []) for (const r of section.rows || []) choices.push([r.title, { type: 'list', id: r.id, title: r.title, description: r.description }])
    }
    if (m.from === 'business' && m.template) for (const q of m.template.quickReplies) choices.push([q.text, { type: 'quick_reply', payload: q.payload, text: q.text }])
    if (choices.length) {
      const row = document.createElement('div'); row.className = 'choices'
      for (const [label, body] of choices) {
        const btn = document.createElement('button'); btn.type = 'button'; btn.textContent = label
        btn.onclick = () => post({ ...body, replyTo: m.wamid })
        row.appendChild(btn)
      }
      div.appendChild(row)
    }
    log.appendChild(div)
  }
}
// Known numbers for the picker, and their names: picking a number shows that customer's name.
let known = []
async function refreshKnown() {
  const res = await fetch('/simulator/api/customers'); if (!res.ok) return
  known = (await res.json()).items
  const list = $('known'); list.textContent = ''
  for (const c of known) { const o = document.createElement('option'); o.value = c.waId; o.label = c.name || c.waId; list.appendChild(o) }
}
function picked() {
  const c = known.find((k) => k.waId === $('waId').value)
  if (c) $('name').value = c.name || ''
  refresh()
}
async function refresh() {
  if (!$('waId').checkValidity()) { $('log').textContent = ''; return }
  const res = await fetch(api()); if (res.ok) { const data = await res.json(); render(data.items, data.businessTyping) }
}
$('send').onsubmit = (e) => { e.preventDefault(); const t = $('text').value.trim(); if (t) { post({ type: 'text', body: t }); $('text').value = '' } }
$('img').onclick = () => { post({ type: 'image', caption: $('text').value.trim() || undefined }); $('text').value = '' }
$('loc').onclick = () => post({ type: 'location', latitude: 52.520008, longitude: 13.404954, label: 'Berlin' })
$('who').onsubmit = (e) => { e.preventDefault(); picked() }
$('waId').oninput = picked
// /simulator?number=… opens that customer's phone (the inbox links here for each conversation).
const asked = new URLSearchParams(location.search).get('number')
if (asked) $('waId').value = asked
setInterval(refresh, 1000); setInterval(refreshKnown, 5000)
refreshKnown().then(asked ? picked : refresh)
`
