/** Size and depth checks on JSON text before it is posted to the main thread. Worker code. */
import type { PayloadBounds } from '../protocol.js';

/** `too_large`, `too_deep`, or undefined when the text is within bounds. */
export function exceeds(text: string, bounds: PayloadBounds): 'too_large' | 'too_deep' | undefined {
  // Three UTF-8 bytes per UTF-16 unit at most: only texts near the bound need counting.
  if (text.length * 3 > bounds.maxBytes && Buffer.byteLength(text) > bounds.maxBytes) return 'too_large';
  // Nesting deeper than maxDepth takes more than maxDepth brackets.
  if (text.length <= bounds.maxDepth) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > bounds.maxDepth) return 'too_deep';
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}
