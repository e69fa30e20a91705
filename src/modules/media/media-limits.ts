// Pure data, no imports: the web app imports this file too, so the composer explains a refused
// file before anything is uploaded.
/** What WhatsApp accepts, with Meta's size caps (shared/whatsapp-cloud-api.md §6). */
const MB = 1024 * 1024
/** Per MIME type: Meta's size cap, and the extension a download of such a file gets. */
const ACCEPTED: Record<string, [limit: number, extension: string]> = {
  'image/jpeg': [5 * MB, 'jpg'],
  'image/png': [5 * MB, 'png'],
  'image/webp': [500 * 1024, 'webp'],
  'audio/aac': [16 * MB, 'aac'],
  'audio/amr': [16 * MB, 'amr'],
  'audio/mpeg': [16 * MB, 'mp3'],
  'audio/mp4': [16 * MB, 'm4a'],
  'audio/ogg': [16 * MB, 'ogg'],
  'video/mp4': [16 * MB, 'mp4'],
  'video/3gpp': [16 * MB, '3gp'],
  'text/plain': [100 * MB, 'txt'],
  'application/pdf': [100 * MB, 'pdf'],
  'application/msword': [100 * MB, 'doc'],
  'application/vnd.ms-excel': [100 * MB, 'xls'],
  'application/vnd.ms-powerpoint': [100 * MB, 'ppt'],
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': [100 * MB, 'docx'],
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': [100 * MB, 'xlsx'],
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': [100 * MB, 'pptx'],
}
export const MEDIA_LIMITS: Record<string, number> = Object.fromEntries(Object.entries(ACCEPTED).map(([type, [limit]]) => [type, limit]))

/** A neutral name for a stored file (`<id>.pdf`): the name it came with is personal and stays in the sealed message. */
export function storedFileName(id: string, mimeType: string): string {
  return `${id}.${ACCEPTED[mimeType.split(';')[0]!.trim().toLowerCase()]?.[1] ?? 'bin'}`
}

/** The Cloud API message type a file of this MIME type is sent as. */
export function messageTypeOf(mimeType: string): 'image' | 'audio' | 'video' | 'document' | 'sticker' {
  if (mimeType === 'image/webp') return 'sticker'
  const major = mimeType.split('/')[0]
  return major === 'image' || major === 'audio' || major === 'video' ? major : 'document'
}
