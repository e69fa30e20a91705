import { z } from 'zod'

/**
 * The body of a send is the Cloud API message object without `to`/`messaging_product`, so anyone
 * who knows the Cloud API knows ours. Limits are Meta's (shared/whatsapp-cloud-api.md §5).
 * Media refer to an upload of ours (`POST /api/media` → `id`) or a public HTTPS `link`.
 */
const context = z.object({ message_id: z.string().min(1).max(200) }).optional()
const mediaRef = (withCaption: boolean, withFilename = false) =>
  z
    .object({
      id: z.string().min(1).max(200).optional(),
      link: z.url({ protocol: /^https$/ }).max(2000).optional(),
      ...(withCaption ? { caption: z.string().max(1024).optional() } : {}),
      ...(withFilename ? { filename: z.string().max(240).optional() } : {}),
    })
    .refine((m) => Boolean(m.id) !== Boolean(m.link), 'exactly one of id or link')

const replyButton = z.object({ type: z.literal('reply'), reply: z.object({ id: z.string().min(1).max(256), title: z.string().min(1).max(20) }) })
const textHeader = z.object({ type: z.literal('text'), text: z.string().min(1).max(60) })

const interactive = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('button'),
    header: textHeader.optional(),
    body: z.object({ text: z.string().min(1).max(1024) }),
    footer: z.object({ text: z.string().min(1).max(60) }).optional(),
    action: z.object({ buttons: z.array(replyButton).min(1).max(3) }),
  }),
  z.object({
    type: z.literal('list'),
    header: textHeader.optional(),
    body: z.object({ text: z.string().min(1).max(4096) }),
    footer: z.object({ text: z.string().min(1).max(60) }).optional(),
    action: z.object({
      button: z.string().min(1).max(20),
      sections: z
        .array(
          z.object({
            title: z.string().max(24).optional(),
            rows: z.array(z.object({ id: z.string().min(1).max(200), title: z.string().min(1).max(24), description: z.string().max(72).optional() })).min(1),
          }),
        )
        .min(1)
        .max(10)
        .refine((s) => s.reduce((n, x) => n + x.rows.length, 0) <= 10, 'at most 10 rows in all'),
    }),
  }),
])

const templateParameter = z.looseObject({ type: z.string().min(1).max(40) })
export const templateObject = z.object({
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'lowercase letters, digits and _'),
  language: z.object({ code: z.string().min(2).max(15) }),
  components: z
    .array(z.looseObject({ type: z.enum(['header', 'body', 'button', 'footer']), parameters: z.array(templateParameter).max(100).optional() }))
    .max(20)
    .optional(),
})

/**
 * Postfach's one addition to the Cloud API message object: the consent purpose a template serves
 * (`marketing`, `reviews` …). A MARKETING-category template without it counts as `marketing`.
 */
const purpose = z.string().regex(/^[a-z0-9_-]{1,40}$/).optional()

export const outboundMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), context, text: z.object({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() }) }),
  z.object({ type: z.literal('image'), context, image: mediaRef(true) }),
  z.object({ type: z.literal('video'), context, video: mediaRef(true) }),
  z.object({ type: z.literal('audio'), context, audio: mediaRef(false) }),
  z.object({ type: z.literal('sticker'), context, sticker: mediaRef(false) }),
  z.object({ type: z.literal('document'), context, document: mediaRef(true, true) }),
  z.object({
    type: z.literal('location'),
    context,
    location: z.object({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180), name: z.string().max(1000).optional(), address: z.string().max(1000).optional() }),
  }),
  z.object({ type: z.literal('interactive'), context, interactive }),
  z.object({ type: z.literal('template'), context, purpose, template: templateObject }),
  z.object({ type: z.literal('reaction'), reaction: z.object({ message_id: z.string().min(1).max(200), emoji: z.string().max(16) }) }),
])
export type OutboundMessage = z.infer<typeof outboundMessage>

export const startConversationBody = z.object({
  to: z.string().regex(/^\d{7,15}$/, 'a wa_id: the number in E.164 digits without +'),
  type: z.literal('template'),
  purpose,
  template: templateObject,
})
