/**
 * Tap configuration (DESIGN §3): the settings, their defaults and secrecy in one table, loading from files
 * and TAP_RDSTATION_CONVERSAS_* variables, and validation into a typed config. Secrets are registered with
 * the redactor the moment they are read.
 */
import { readFileSync } from 'node:fs';
import { parseDay, today } from './dates.js';
import { ConfigError } from './errors.js';
import { redactor } from './redact.js';

export const ENV_PREFIX = 'TAP_RDSTATION_CONVERSAS_';

type SettingType = 'string' | 'integer' | 'number' | 'date' | 'object';

export interface Setting {
  name: string;
  type: SettingType;
  required: boolean | string;
  secret: boolean;
  default?: string | number;
  description: string;
}

export const SETTINGS: readonly Setting[] = [
  {
    name: 'access_token',
    type: 'string',
    required: true,
    secret: true,
    description: "The account's JWT (Apps e Integrações > API).",
  },
  {
    name: 'start_date',
    type: 'date',
    required: 'for messages_history',
    secret: false,
    description: 'First day of history (and of reports). YYYY-MM-DD, ISO 8601 date-time or DD/MM/YYYY.',
  },
  {
    name: 'end_date',
    type: 'date',
    required: false,
    secret: false,
    default: 'today',
    description: 'Last day of history and reports, inclusive.',
  },
  {
    name: 'private_key_jwk',
    type: 'object',
    required: false,
    secret: true,
    description:
      'The private JWK from "Gerar Chave", as a JSON string or object; without it history stays encrypted.',
  },
  {
    name: 'api_url',
    type: 'string',
    required: false,
    secret: false,
    default: 'https://api.tallos.com.br',
    description: 'API host (the sandbox and tests point it at 127.0.0.1).',
  },
  {
    name: 'requests_per_minute',
    type: 'number',
    required: false,
    secret: false,
    default: 45,
    description: "The account's request budget the tap stays within (the API allows about 48/min).",
  },
  {
    name: 'partition_concurrency',
    type: 'integer',
    required: false,
    secret: false,
    default: 8,
    description: 'Contacts whose history is fetched at once (all under the one rate limit).',
  },
  {
    name: 'request_timeout_seconds',
    type: 'number',
    required: false,
    secret: false,
    default: 60,
    description: 'Timeout of one HTTP request.',
  },
  {
    name: 'max_retry_seconds',
    type: 'number',
    required: false,
    secret: false,
    default: 600,
    description:
      'How long one request may keep being retried (429, 5xx, resets, timeouts) before the sync fails.',
  },
  {
    name: 'retry_backoff_seconds',
    type: 'number',
    required: false,
    secret: false,
    default: 1,
    description: 'First retry delay; it doubles (with jitter) up to 60 s.',
  },
  {
    name: 'max_history_pages',
    type: 'integer',
    required: false,
    secret: false,
    default: 2000,
    description: 'Safety bound on history pages per contact (guards against an API that ignores `page`).',
  },
  {
    name: 'state_interval_seconds',
    type: 'number',
    required: false,
    secret: false,
    default: 2,
    description: 'How often messages_history progress is written as STATE (what a resumed sync can skip).',
  },
];

export interface TapConfig {
  access_token: string;
  start_date?: string;
  end_date: string;
  /** Parsed private JWK; validated as an RSA private key by crypto/ before any request. */
  private_key_jwk?: Record<string, unknown>;
  api_url: string;
  requests_per_minute: number;
  partition_concurrency: number;
  request_timeout_seconds: number;
  max_retry_seconds: number;
  retry_backoff_seconds: number;
  max_history_pages: number;
  state_interval_seconds: number;
}

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
    const where = /position \d+/.exec(String(error))?.[0] ?? 'somewhere';
    throw new ConfigError(`${what} file ${path} is not valid JSON (${where})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`${what} file ${path} must hold a JSON object`);
  return value as RawConfig;
}

export function configFromEnv(env: NodeJS.ProcessEnv): RawConfig {
  const out: RawConfig = {};
  for (const setting of SETTINGS) {
    const value = env[ENV_PREFIX + setting.name.toUpperCase()];
    if (value !== undefined && value !== '') out[setting.name] = value;
  }
  return out;
}

function numberSetting(raw: RawConfig, setting: Setting): number {
  const value = raw[setting.name] ?? setting.default;
  const n = typeof value === 'string' ? Number(value) : value;
  if (
    typeof n !== 'number' ||
    !Number.isFinite(n) ||
    n <= 0 ||
    (setting.type === 'integer' && !Number.isInteger(n))
  ) {
    throw new ConfigError(
      `${setting.name} must be a positive ${setting.type === 'integer' ? 'whole number' : 'number'}`,
    );
  }
  return n;
}

/** Invisible characters pasted with a token break auth (observed live, §1.2): keep printable ASCII. */
export function cleanToken(token: string): string {
  return token.replace(/[^\x21-\x7E]/g, '');
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

export function validateConfig(raw: RawConfig, now = Date.now()): TapConfig {
  // Secrets first, so that nothing below can echo them.
  redactor.add(raw['access_token']);
  redactor.add(raw['private_key_jwk']);
  const byName = (name: string): Setting => SETTINGS.find((s) => s.name === name)!;

  const tokenValue = raw['access_token'];
  if (tokenValue === undefined || tokenValue === null || tokenValue === '') {
    throw new ConfigError(`access_token is missing: set it in a --config file or ${ENV_PREFIX}ACCESS_TOKEN`);
  }
  if (typeof tokenValue !== 'string') throw new ConfigError('access_token must be a string');
  const token = cleanToken(tokenValue);
  if (!token) throw new ConfigError('access_token is empty');
  redactor.add(token);
  // A JWT's payload and signature are secret on their own, should anything print part of the token.
  for (const segment of token.split('.').slice(1)) redactor.add(segment);

  const endDate =
    raw['end_date'] === undefined || raw['end_date'] === ''
      ? today(now)
      : parseDay(raw['end_date'], 'end_date');
  const startDate =
    raw['start_date'] === undefined || raw['start_date'] === ''
      ? undefined
      : parseDay(raw['start_date'], 'start_date');
  if (startDate && startDate > endDate)
    throw new ConfigError(`start_date ${startDate} is after end_date ${endDate}`);

  const apiUrl = String(raw['api_url'] ?? byName('api_url').default).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s]+$/.test(apiUrl)) throw new ConfigError('api_url must be an http(s) URL');

  const jwkValue = raw['private_key_jwk'];
  const config: TapConfig = {
    access_token: token,
    end_date: endDate,
    api_url: apiUrl,
    requests_per_minute: numberSetting(raw, byName('requests_per_minute')),
    partition_concurrency: numberSetting(raw, byName('partition_concurrency')),
    request_timeout_seconds: numberSetting(raw, byName('request_timeout_seconds')),
    max_retry_seconds: numberSetting(raw, byName('max_retry_seconds')),
    retry_backoff_seconds: numberSetting(raw, byName('retry_backoff_seconds')),
    max_history_pages: numberSetting(raw, byName('max_history_pages')),
    state_interval_seconds: numberSetting(raw, byName('state_interval_seconds')),
  };
  if (startDate) config.start_date = startDate;
  if (jwkValue !== undefined && jwkValue !== null && jwkValue !== '')
    config.private_key_jwk = parsePrivateJwk(jwkValue);
  return config;
}
