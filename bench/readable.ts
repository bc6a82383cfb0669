/**
 * Scenarios `readable` and `concurrent` (the readable catalog). `readable`: a first sync of 100,000 contacts,
 * about a million messages and 20,000 reports while a reader opens the read file and queries it every 200 ms (as
 * a dashboard would): how many of its queries failed, how long they took, and how long the switch held the
 * catalog; then (`models`) how long each view of the service layer takes to compute whole over that catalog.
 * `concurrent`: four sources of four accounts, each at a budget that makes it last about 20 s, alone one after
 * another and then all at once under `conversas schedule --dir`: the wall time at once over the slowest alone.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layoutOf } from '../src/catalog/layout.js';
import { CatalogReader } from '../src/catalog/reader.js';
import { SourceDirectory } from '../src/pipeline/directory.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { STREAMS } from '../src/streams/index.js';
import type { Bench } from './daily.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONVERSAS = join(ROOT, 'dist/cli/conversas.js');
const DAY = 86_400_000;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function conversas(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [CONVERSAS, ...args], {
      env: { ...process.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 }),
    );
  });
}

const must = (what: string, r: { code: number | null; stderr: string }): void => {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim().split('\n').at(-1)}`);
};

const configOf = (sb: Sandbox, extra: Record<string, unknown> = {}) => ({
  access_token: sb.token,
  api_url: sb.url,
  private_key_jwk: sb.jwk.current,
  start_date: dayOf(sb.world.now - 120 * DAY),
  requests_per_minute: 1_000_000,
  partition_concurrency: 16,
  ...extra,
});

const held = (stderr: string): number[] =>
  [...stderr.matchAll(/the catalog was held ([\d.]+) s/g)].map((m) => Number(m[1]));

export async function readableScenario({ results, check, scale }: Bench, work: string): Promise<void> {
  const sb = await startSandbox({
    world: { seed: 160, contacts: scale(100_000), meanMessages: 10, reports: scale(20_000), reportDays: 120 },
    requestsPerMinute: 0,
  });
  try {
    const db = join(work, 'readable.duckdb');
    const source = (name: string, streams: string[]) => {
      const file = join(work, `${name}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          name,
          config: configOf(sb),
          streams: Object.fromEntries(STREAMS.map((s) => [s.name, { selected: streams.includes(s.name) }])),
        }),
      );
      return file;
    };
    // A catalog to read from the start (a small source), then the big sync while the reader reads.
    must(
      'readable (first)',
      await conversas(['sync', '--source', source('team', ['employees']), '--db', db]),
    );
    const reader = spawn(process.execPath, [join(ROOT, 'bench/reader.mjs'), layoutOf(db).read], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let seen = '';
    reader.stdout.on('data', (d: Buffer) => (seen += d.toString()));
    const sync = await conversas([
      'sync',
      '--source',
      source('big', ['contacts', 'messages', 'reports']),
      '--db',
      db,
    ]);
    must('readable (sync)', sync);
    reader.kill('SIGTERM');
    await new Promise((r) => reader.on('close', r));
    const read = JSON.parse(seen) as { queries: number; failures: number; p99_ms: number; max_ms: number };
    const rows = [...sync.stderr.matchAll(/INFO (contacts|messages): (\d+) records/g)].reduce(
      (n, m) => n + Number(m[2]),
      0,
    );
    results['readable'] = {
      contacts: sb.world.options.contacts,
      rows,
      sync_seconds: sync.seconds,
      reader_queries: read.queries,
      reader_failures: read.failures,
      reader_p99_ms: read.p99_ms,
      reader_max_ms: read.max_ms,
      switch_lock_seconds: Math.max(...held(sync.stderr)),
    };
    check('readable', 'reader_failures', '= 0', (v) => v === 0);
    check('readable', 'reader_p99_ms', '< 1000', (v) => v < 1000);
    check('readable', 'switch_lock_seconds', '≤ 2', (v) => v <= 2);
    results['models'] = await timeModels(db);
    for (const model of ['attendances', 'conversation_days', 'contacts_activity'])
      check('models', `${model}_seconds`, '< 30 (the web app stops a query at 30 s)', (v) => v < 30);
  } finally {
    await sb.close();
  }
}

/**
 * The service layer's views over the big sync, each computed whole (aggregates over every column that takes
 * work, so nothing is skipped), in a reader as a dashboard would open the read file.
 */
async function timeModels(db: string): Promise<Record<string, number>> {
  const reader = await CatalogReader.open(db);
  const queries = {
    attendances: `SELECT count(*), sum(messages_from_contact), count(first_response_seconds) FROM service.attendances`,
    conversation_days: `SELECT count(*), sum(messages_in), max(p90_first_response_seconds) FROM service.conversation_days`,
    contacts_activity: `SELECT count(*), sum(messages_from_bot), count(last_operator) FROM service.contacts_activity`,
  };
  const out: Record<string, number> = {};
  try {
    for (const [model, sql] of Object.entries(queries)) {
      const started = process.hrtime.bigint();
      const [row] = await reader.query(sql);
      out[`${model}_seconds`] = Number(process.hrtime.bigint() - started) / 1e9;
      out[`${model}_rows`] = Number(Object.values(row!)[0]);
    }
  } finally {
    await reader.close();
  }
  return out;
}

export async function concurrentScenario({ results, check, scale }: Bench, work: string): Promise<void> {
  const sandboxes = await Promise.all(
    [171, 172, 173, 174].map((seed) =>
      startSandbox({ world: { seed, contacts: scale(300), meanMessages: 4 }, requestsPerMinute: 0 }),
    ),
  );
  try {
    const dir = join(work, 'concurrent');
    const sources = new SourceDirectory(dir);
    const names = sandboxes.map((_, i) => `account_${i + 1}`);
    // Each at a budget that makes it last about 20 s alone (its request count measured by a first, free run).
    const alone: number[] = [];
    for (const [i, sb] of sandboxes.entries()) {
      const streams = { messages_history: { selected: false } };
      const free = join(work, `${names[i]}-free.json`);
      writeFileSync(free, JSON.stringify({ name: names[i], config: configOf(sb), streams }));
      const first = await conversas([
        'sync',
        '--source',
        free,
        '--db',
        join(work, `${names[i]}-free.duckdb`),
      ]);
      must('concurrent (count)', first);
      const requests = Number(/: (\d+) requests/.exec(first.stdout)?.[1] ?? NaN);
      const rpm = Math.max(1, Math.round(((requests - 5) * 60) / 20));
      sources.save({
        name: names[i]!,
        config: configOf(sb, { requests_per_minute: rpm }),
        schedule: '* * * * * *',
        table_prefix: `${names[i]}_`,
        streams,
      });
      const timed = await conversas([
        'sync',
        '--source',
        sources.fileOf(names[i]!),
        '--db',
        join(work, `${names[i]}-alone.duckdb`),
      ]);
      must('concurrent (alone)', timed);
      alone.push(timed.seconds);
    }
    // All at once: the schedule's first tick starts every source (up to a second after it starts).
    const together = await conversas(['schedule', '--dir', dir, '--max-runs', '1']);
    must('concurrent (together)', together);
    const slowest = Math.max(...alone);
    results['concurrent'] = {
      sources: sandboxes.length,
      slowest_alone_seconds: slowest,
      sum_alone_seconds: alone.reduce((a, b) => a + b, 0),
      together_seconds: together.seconds,
      wall_over_slowest: together.seconds / slowest,
    };
    check('concurrent', 'wall_over_slowest', '≤ 1.3', (v) => v <= 1.3);
  } finally {
    await Promise.all(sandboxes.map((sb) => sb.close()));
  }
}
