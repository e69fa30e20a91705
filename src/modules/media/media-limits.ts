// Pure data, no imports: the web app imports this file too, so the composer explains a refused
// file before anything is uploaded.
/** What WhatsApp accepts, with Meta's size caps (shared/whatsapp-cloud-api.md §6). */
const MB = 1024 * 1024
export const MEDIA_LIMITS: Record<string, number> = {
  'image/jpeg': 5 * MB,
  'image/png': 5 * MB,
  'image/webp': 500 * 1024,
  'audio/aac': 16 * MB,
  'audio/amr': 16 * MB,
  'audio/mpeg': 16 * MB,
  'audio/mp4': 16 * MB,
  'audio/ogg': 16 * MB,
  'video/mp4': 16 * MB,
  'video/3gpp': 16 * MB,
  'text/plain': 100 * MB,
  'application/pdf': 100 * MB,
  'application/msword': 100 * MB,
  'application/vnd.ms-excel': 100 * MB,
  'application/vnd.ms-powerpoint': 100 * MB,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 100 * MB,
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 100 * MB,
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 100 * MB,
}

/** The Cloud API message type a file of this MIME type is sent as. */
export function messageTypeOf(mimeType: string): 'image' | 'audio' | 'video' | 'document' | 'sticker' {
  if (mimeType === 'image/webp') return 'sticker'
  const major = mimeType.split('/')[0]
  return major === 'image' || major === 'audio' || major === 'video' ? major : 'document'
}
