const OPEN_OBJECT = 0x7b // {
const OPEN_ARRAY = 0x5b // [
const CLOSE_OBJECT = 0x7d // }
const CLOSE_ARRAY = 0x5d // ]
const QUOTE = 0x22 // "
const BACKSLASH = 0x5c // \

/**
 * How deeply objects and arrays nest in a JSON text, read off the bytes (brackets inside strings
 * do not count). Code downstream walks JSON recursively (JSON.stringify among it), so a body nested
 * thousands of levels deep would overflow the stack there; the entry point refuses it instead.
 */
export function jsonNestingDepth(bytes: Uint8Array): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]
    if (inString) {
      if (b === BACKSLASH) i++
      else if (b === QUOTE) inString = false
    } else if (b === QUOTE) inString = true
    else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (++depth > deepest) deepest = depth
    } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) depth--
  }
  return deepest
}
