/** Turns a page of messages into the bytes the API encrypts, with the quirks seen live (§4). */
import type { ContactVariant, HistoryMessage } from './world.js';

/** Raw control characters inside strings: live system events carry them unescaped, U+0000 included. */
function unescapeControlChars(json: string): string {
  return json.replace(/\\u00([01][0-9a-f])|\\t/g, (_m, hex: string | undefined) =>
    hex === undefined ? '\t' : String.fromCharCode(parseInt(hex, 16)),
  );
}

export function encodePlaintext(page: HistoryMessage[], variant: ContactVariant): Uint8Array {
  let text = JSON.stringify(page);
  if (variant.controlChars) text = unescapeControlChars(text);
  else if (variant.doubleEncoded) text = JSON.stringify(text);
  return Buffer.from(text, variant.charset === 'latin1' ? 'latin1' : 'utf8');
}
