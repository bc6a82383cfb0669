/**
 * Tap configuration (README "Configuration"). Each setting is declared once, in SETTINGS: its type, default, secrecy,
 * description and the parser that validates it. `TapConfig`, `validateConfig`, the environment variable
 * names and `--about` all derive from that one declaration, so a new setting is one entry here.
 * Secrets are registered with the redactor the moment they are read.
 */
import { readFileSync } from 'node:fs';
import { parseDay, today } from './dates.js';
import { ConfigError } from './errors.js';
import { redactor } from './redact.js';
import { API } from './streams/api.js';

export const ENV_PREFIX = 'TAP_RDSTATION_CONVERSAS_';

/** How a setting is described to users (`--about`): a JSON type, or `date` for the day formats we accept. */
export type SettingType = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'object';

export interface SettingSpec<T> {
  type: SettingType;
  description: string;
  required?: boolean;
  secret?: boolean;
  /** The default as users read it (`--about`, README); the parser applies it. */
  default?: string | number;
  /** Validates a value as read from JSON or the environment (undefined when unset). */
  parse(value: unknown, name: string, context: { now: number }): T;
}

const setting = <T>(spec: SettingSpec<T>): SettingSpec<T> => spec;
const unset = (value: unknown): boolean => value === undefined || value === null || value === '';

/** false unless true (JSON) or "true" (an environment variable). */
function booleanSetting(value: unknown, name: string): boolean {
  if (unset(value) || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new ConfigError(`${name} must be true or false`);
}

/** A positive (or, with `zero`, non-negative) number or whole number, from JSON or an environment variable. */
const positive = (integer: boolean, fallback: number, zero = false) =>
  function parse(value: unknown, name: string): number {
    const n = unset(value) ? fallback : typeof value === 'string' ? Number(value) : value;
    if (
      typeof n !== 'number' ||
      !Number.isFinite(n) ||
      (zero ? n < 0 : n <= 0) ||
      (integer && !Number.isInteger(n))
    )
      throw new ConfigError(
        `${name} must be a ${zero ? 'number ≥ 0' : `positive ${integer ? 'whole number' : 'number'}`}`,
      );
    return n;
  };

const numberSetting = (
  description: string,
  fallback: number,
  integer = false,
  zero = false,
): SettingSpec<number> =>
  setting({
    type: integer ? 'integer' : 'number',
    description,
    default: fallback,
    parse: positive(integer, fallback, zero),
  });

/** Invisible characters pasted with a token break auth (observed live, docs/api-notes.md §1.2): keep printable ASCII. */
export function cleanToken(token: string): string {
  // A token pasted with its header's scheme ("Bearer eyJ…"): the scheme is ours to add.
  const visible = token
    .replace(/[^\x20-\x7E]/g, '')
    .trim()
    .replace(/^bearer\s+/i, '');
  return visible.replace(/[^\x21-\x7E]/g, '');
}

export function parsePrivateJwk(value: unknown): Record<string, unknown> {
  let jwk: unknown = value;
  if (typeof value === 'string') {
    try {
      jwk = JSON.parse(value);
    } catch {
      throw new ConfigError('private_key_jwk is not valid JSON: paste the whole JWK from "Gerar Chave"');
    }
  }
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk))
    throw new ConfigError('private_key_jwk must be a JWK object');
  return jwk as Record<string, unknown>;
}

export const SETTINGS = {
  access_token: setting<string>({
    type: 'string',
    required: true,
    secret: true,
    description: "The account's JWT (Apps e Integrações > API).",
    parse(value) {
      if (unset(value))
        throw new ConfigError(
          `access_token is missing: set it in a --config file or ${ENV_PREFIX}ACCESS_TOKEN`,
        );
      if (typeof value !== 'string') throw new ConfigError('access_token must be a string');
      const token = cleanToken(value);
      if (!token) throw new ConfigError('access_token is empty');
      // However short: this one is known to be a secret.
      redactor.add(token, 1);
      // A JWT's payload and signature are secret on their own, should anything print part of the token.
      for (const segment of token.split('.').slice(1)) redactor.add(segment);
      return token;
    },
  }),
  start_date: setting<string | undefined>({
    type: 'date',
    description: 'First day of history (and of reports). YYYY-MM-DD, ISO 8601 date-time or DD/MM/YYYY.',
    parse: (value, name) => (unset(value) ? undefined : parseDay(value, name)),
  }),
  end_date: setting<string>({
    type: 'date',
    default: 'today',
    description: 'Last day of history and reports, inclusive.',
    parse: (value, name, { now }) => (unset(value) ? today(now) : parseDay(value, name)),
  }),
  private_key_jwk: setting<Record<string, unknown> | undefined>({
    type: 'object',
    secret: true,
    description:
      'The private JWK from "Gerar Chave", as a JSON string or object; without it history stays encrypted.',
    // Validated as an RSA private key by crypto/ before any request.
    parse: (value) => (unset(value) ? undefined : parsePrivateJwk(value)),
  }),
  api_url: setting<string>({
    type: 'string',
    default: API.defaultUrl,
    description: 'API host (the sandbox and tests point it at 127.0.0.1).',
    parse(value) {
      const url = String(unset(value) ? API.defaultUrl : value).replace(/\/+$/, '');
      if (!/^https?:\/\/[^\s]+$/.test(url)) throw new ConfigError('api_url must be an http(s) URL');
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new ConfigError('api_url must be an http(s) URL');
      }
      // Never printed back: it may hold a password.
      if (parsed.username || parsed.password)
        throw new ConfigError(
          'api_url must not hold a user name or password: the access_token authenticates',
        );
      return url;
    },
  }),
  requests_per_minute: numberSetting(
    `The account's request budget the tap stays within, in requests a minute (the API allows about ${API.requestsPerMinute}/min).`,
    45,
    true,
  ),
  partition_concurrency: numberSetting(
    'Partitions (contacts whose history is read) fetched at once, all under the one rate limit.',
    8,
    true,
  ),
  request_timeout_seconds: numberSetting('Timeout of one HTTP request.', 60),
  max_retry_seconds: numberSetting(
    'How long one request may keep being retried (429, 5xx, resets, timeouts) before the sync fails.',
    600,
  ),
  retry_backoff_seconds: numberSetting('First retry delay; it doubles (with jitter) up to 60 s.', 1),
  max_pages: numberSetting(
    'Safety bound on the pages of one listing (contacts, reports), whatever page count the API claims.',
    20_000,
    true,
  ),
  max_response_mb: numberSetting(
    'The most one answer may hold once decompressed, in MB (a bigger one fails that request, without retrying).',
    64,
  ),
  max_history_pages: numberSetting(
    'Safety bound on the pages of one partition (history per contact): guards against an API that ignores `page`.',
    2000,
    true,
  ),
  keep_nul: setting<boolean>({
    type: 'boolean',
    default: 'false',
    description:
      'Keep U+0000 in text. By default each one becomes U+FFFD: PostgreSQL text and jsonb cannot hold it, and the API sends it in some system events.',
    parse: booleanSetting,
  }),
  discover_sample: setting<boolean>({
    type: 'boolean',
    default: 'false',
    description:
      '--discover reads one page of each stream and adds every field it sees that the schemas do not list, with its type (at most one request per stream).',
    parse: booleanSetting,
  }),
  lookback_days: numberSetting(
    "Incremental runs re-read this much before the last run's end (late arrivals, clocks), in days; fractions allowed (0.02 ≈ 30 minutes, for runs every few minutes).",
    3,
    false,
    true,
  ),
  full_sync_every_days: numberSetting(
    'An incremental stream gets a full pass when its last one is at least this many days old (it brings what incremental runs cannot see); 0 = only when asked.',
    7,
    false,
    true,
  ),
  state_interval_seconds: numberSetting(
    'At most how often progress through partitions (history per contact) is written as STATE; 0 writes it as soon as a partition is complete, so an interruption costs only the partitions in flight.',
    0,
    false,
    true,
  ),
};

export type SettingName = keyof typeof SETTINGS;
export type TapConfig = {
  [K in SettingName]: (typeof SETTINGS)[K] extends SettingSpec<infer T> ? T : never;
};

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];
export const envName = (name: SettingName): string => ENV_PREFIX + name.toUpperCase();

export type RawConfig = Record<string, unknown>;

/** Reads and merges config sources in order; the word `ENV` reads the environment variables. */
export function readConfigSources(
  sources: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): RawConfig {
  const merged: RawConfig = {};
  for (const source of sources)
    Object.assign(merged, source === 'ENV' ? configFromEnv(env) : readJsonFile(source, 'config'));
  return merged;
}

export function readJsonFile(path: string, what: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`cannot read ${what} file ${path}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // The parser's message quotes the text it choked on, which may be a secret: keep only its position.
    const where =
      /position \d+/.exec(String(error))?.[0] ??
      (/end of JSON input/.test(String(error))
        ? 'it ends too soon: is the file cut short?'
        : 'near its start');
    throw new ConfigError(`${what} file ${path} is not valid JSON (${where})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`${what} file ${path} must hold a JSON object`);
  return value as RawConfig;
}

export function configFromEnv(env: NodeJS.ProcessEnv): RawConfig {
  const out: RawConfig = {};
  for (const name of SETTING_NAMES) {
    const value = env[envName(name)];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

export function validateConfig(raw: RawConfig, now = Date.now()): TapConfig {
  // Secrets first, as given, so that nothing below can echo them.
  for (const name of SETTING_NAMES) if (SETTINGS[name].secret) redactor.add(raw[name]);
  const config = {} as Record<SettingName, unknown>;
  for (const name of SETTING_NAMES) config[name] = SETTINGS[name].parse(raw[name], name, { now });
  const valid = config as TapConfig;
  if (valid.start_date && valid.start_date > valid.end_date)
    throw new ConfigError(`start_date ${valid.start_date} is after end_date ${valid.end_date}`);
  return valid;
}
