/**
 * Messages in the app's words: the pipeline's refusals name command-line options and setting keys (`--layer`,
 * `api_url`), which a person in the app never sees; here they become what the app's fields are called.
 */
const WORDS: [RegExp, string][] = [
  [/choose another --layer or --prefix, or another --db/g, 'choose another layer or table prefix (step 3)'],
  [/--layer\b/g, 'the layer'],
  [/--prefix\b/g, 'the table prefix'],
  [/--db\b/g, 'another catalog'],
  [/\bapi_url\b/g, 'the API address'],
  [/\baccess_token\b/g, 'the access token'],
  [/\bprivate_key_jwk\b/g, 'the private key'],
  [/\bstart_date\b/g, 'the start date'],
  [/\btable_prefix\b/g, 'table prefix'],
  [/\bretention_days\b/g, 'retention'],
  [/\bstreams\.<name>\.selected\b/g, 'step 2'],
];

export function inAppWords(message: string): string {
  return WORDS.reduce((text, [pattern, words]) => text.replace(pattern, words), message);
}
