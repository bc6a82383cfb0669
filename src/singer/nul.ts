/**
 * U+0000 in text. PostgreSQL's text and jsonb cannot hold it (the most common Singer targets fail on the whole
 * stream), and many tools stop at it; the API sends it in system events' raw control characters
 * (docs/api-notes.md §9). Records leave the tap, and rows enter the catalog, with each U+0000 replaced by
 * U+FFFD, the replacement character: the text keeps its length and shows that something was there (removing
 * it would silently join the words around it). The tap's `keep_nul` setting keeps it for targets that can.
 * Works on JSON text, where the serialiser writes U+0000 as the escape `\u0000`: one scan, and a replacement
 * only in the rare line that has one.
 */

/** `\u0000` whose backslash is not itself escaped (an even number of backslashes before it). */
const ESCAPED_NUL = /(?<=(?:^|[^\\])(?:\\\\)*)\\u0000/g;

export function replaceNul(json: string): string {
  if (json.includes('\\u0000')) json = json.replace(ESCAPED_NUL, '\\ufffd');
  // Raw NUL is not valid inside JSON text, but another tap's line may carry one.
  return json.includes('\u0000') ? json.replaceAll('\u0000', '\ufffd') : json;
}
