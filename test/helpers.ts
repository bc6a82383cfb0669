/** Test helpers: a sandbox per test file, an in-memory Singer sink, and the CLI as a real subprocess. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CatalogLoader } from '../src/catalog/loader.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { layoutOf, stagingFile } from '../src/catalog/layout.js';
import { CatalogReader } from '../src/catalog/reader.js';
import { CatalogStore } from '../src/catalog/store.js';
import { validateConfig, type TapConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import type { SingerMessage, SingerSink } from '../src/singer/messages.js';
import type { Sandbox } from '../src/sandbox/index.js';
import { runSync, type SyncOptions } from '../src/tap/sync.js';
import { isRunnable, STREAMS } from '../src/streams/index.js';
import { groundTruth, dayWindow } from './oracle.js';

export const DAY = 86_400_000;
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export class MemorySink implements SingerSink {
  messages: SingerMessage[] = [];
  write(message: SingerMessage): void {
    this.messages.push(structuredClone(message));
  }
  async flush(): Promise<void> {}
  records(stream: string): Record<string, unknown>[] {
    return this.messages.flatMap((m) => (m.type === 'RECORD' && m.stream === stream ? [m.record] : []));
  }
  states(): unknown[] {
    return this.messages.flatMap((m) => (m.type === 'STATE' ? [m.value] : []));
  }
}

export function configFor(sb: Sandbox, extra: Record<string, unknown> = {}): TapConfig {
  return validateConfig({
    access_token: sb.token,
    api_url: sb.url,
    requests_per_minute: 1_000_000,
    retry_backoff_seconds: 0.01,
    end_date: dayOf(sb.world.now - DAY),
    ...extra,
  });
}

export async function sync(
  sb: Sandbox,
  extra: Record<string, unknown> = {},
  options: Partial<SyncOptions> = {},
): Promise<{ sink: MemorySink; summary: Awaited<ReturnType<typeof runSync>> }> {
  const sink = new MemorySink();
  const config = configFor(sb, extra);
  const selected = options.selected ?? STREAMS.filter((s) => isRunnable(s, config)).map((s) => s.name);
  const summary = await runSync({ config, selected, sink, log: silentLogger, ...options });
  return { sink, summary };
}

/** A source file's `streams` selecting exactly these (every other stream of the registry off). */
export const onlyStreams = (...names: string[]): Record<string, { selected: boolean }> =>
  Object.fromEntries(STREAMS.map((s) => [s.name, { selected: names.includes(s.name) }]));

/** The tap config a pipeline test passes over a source: the sandbox's URL, token and key, and the window. */
export function sandboxOverrides(sb: Sandbox, start: string, end: string): Record<string, unknown> {
  return {
    access_token: sb.token,
    api_url: sb.url,
    private_key_jwk: sb.jwk.current,
    start_date: start,
    end_date: end,
    requests_per_minute: 1_000_000,
    retry_backoff_seconds: 0.01,
  };
}

/**
 * A catalog loader on a catalog file, as `conversas load` makes one (source "test", tables in layer raw named
 * after their streams): `write` feeds it, then the input ends and every table must be whole.
 */
export async function loadWith<T>(
  db: string,
  write: (loader: CatalogLoader, store: CatalogStore) => Promise<T>,
  now?: Date,
): Promise<T> {
  const store = await CatalogStore.open(db, { source: 'test', ...(now ? { now: () => now } : {}) });
  const loader = new CatalogLoader({
    store,
    source: 'test',
    retentionDays: 30,
    log: silentLogger,
    resolve: (stream) => ({ stream, layer: 'raw', folder: '', name: stream }),
  });
  try {
    const result = await write(loader, store);
    if ((await loader.finish()).length) throw new Error('the input ended before every stream was whole');
    return result;
  } finally {
    loader.close();
    await store.close();
  }
}

/** Runs a query on a catalog file, read-only, as `conversas query` does. */
export async function queryCatalog(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const store = await CatalogReader.open(db);
  try {
    return await store.query(sql);
  } finally {
    await store.close();
  }
}

/** Runs a query on a source's staging file (its unfinished sync), read-only. */
export async function queryStaging(
  db: string,
  source: string,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(stagingFile(layoutOf(db), source), {
    access_mode: 'READ_ONLY',
  });
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const TAP_BIN = `${ROOT}dist/cli/tap.js`;
export const CONVERSAS_BIN = `${ROOT}dist/cli/conversas.js`;

/** Runs a built command line; resolves with its exit code and output. */
export function runCli(
  bin: string,
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Every secret a sandbox hands out, and every part of them, for grepping outputs. */
export function secretsOf(sb: Sandbox): string[] {
  const parts = [
    sb.token,
    ...sb.token.split('.').slice(1),
    JSON.stringify(sb.jwk.current),
    JSON.stringify(sb.jwk.rotated),
  ];
  for (const jwk of [sb.jwk.current, sb.jwk.rotated]) {
    for (const [k, v] of Object.entries(jwk))
      if (typeof v === 'string' && !['kty', 'e', 'use', 'alg', 'kid'].includes(k)) parts.push(v);
  }
  // A distinctive slice of each, so a partly printed secret is caught too.
  return [...parts, ...parts.map((p) => p.slice(10, 40))];
}

export function expectNoSecrets(sb: Sandbox, ...texts: string[]): void {
  for (const text of texts) {
    for (const secret of secretsOf(sb)) {
      if (text.includes(secret)) throw new Error(`a secret (${secret.slice(0, 6)}…) appears in the output`);
    }
  }
}

/** Asserts a sync delivered exactly the ground truth: counts per stream, and every history page's messages. */
export function expectComplete(
  sb: Sandbox,
  sink: MemorySink,
  start: string | undefined,
  end: string,
  decrypted = true,
): void {
  const history = start ? dayWindow(start, end) : undefined;
  const reportsFrom = start ?? dayOf(Date.parse(`${end}T00:00:00Z`) - 89 * DAY);
  const withMessages = decrypted && sink.messages.some((m) => m.type === 'SCHEMA' && m.stream === 'messages');
  const truth = groundTruth(sb.world, {
    ...(history ? { history } : {}),
    reportsFrom,
    reportsTo: end,
    decrypted: withMessages,
  });
  for (const [stream, expected] of Object.entries(truth.records)) {
    const records = sink.records(stream);
    const stream_ = STREAMS.find((s) => s.name === stream)!;
    const keys = new Set(records.map((r) => JSON.stringify(stream_.keys.map((k) => r[k]))));
    if (keys.size !== expected)
      throw new Error(`${stream}: ${keys.size} distinct records, expected ${expected}`);
  }
  if (!history || !decrypted) return;
  const pages = new Map<string, string>();
  for (const r of sink.records('messages_history'))
    pages.set(`${String(r['customer_id'])}#${String(r['page'])}`, String(r['data']));
  for (let i = 0; i < sb.world.options.contacts; i++) {
    if (sb.world.variant(i).rotatedKey) continue;
    const expected = sb.world.expectedMessages(i, history);
    for (let p = 0; p * 100 < expected.length; p++) {
      const data = pages.get(`${sb.world.contactId(i)}#${p + 1}`);
      if (data === undefined) throw new Error(`contact ${i} page ${p + 1} is missing`);
      // U+0000 leaves the tap as U+FFFD (README "Warehouses"): the JSON text says so as an escape.
      const want = JSON.stringify(expected.slice(p * 100, p * 100 + 100)).replaceAll('\\u0000', '\ufffd');
      if (JSON.stringify(JSON.parse(data)) !== want) {
        throw new Error(`contact ${i} page ${p + 1} differs from the ground truth`);
      }
    }
  }
}
