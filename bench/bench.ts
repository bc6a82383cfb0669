/**
 * npm run bench: scenarios against the sandbox in one run; prints a table and writes bench/results.json.
 * Timings live here, never in tests. Every ratio compares numbers measured in this same run.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addDays } from '../src/dates.js';
import { decryptHistory, loadHistoryKey } from '../src/crypto/jwe.js';
import { startSandbox, World, type Sandbox } from '../src/sandbox/index.js';
import { dayWindow } from '../test/oracle.js';
import { dailyAndFresh } from './daily.js';
import { floorsScenario } from './floors.js';
import { concurrentScenario, readableScenario } from './readable.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TAP = join(ROOT, 'dist/cli/tap.js');
const CONVERSAS = join(ROOT, 'dist/cli/conversas.js');
const work = mkdtempSync(join(tmpdir(), 'conversas-bench-'));
const quick = process.argv.includes('--quick');
const scale = (n: number): number => (quick ? Math.max(10, Math.round(n / 10)) : n);
const DAY = 86_400_000;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

interface Run {
  seconds: number;
  peakRssMb: number;
  lines: number;
  bytes: number;
  code: number | null;
  stderr: string;
}

function peakRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Runs a command, counting its stdout lines and bytes (or piping them to a file), sampling its peak RSS. */
function run(args: string[], options: { stdoutFile?: string; stdinFile?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, {
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let lines = 0;
    let bytes = 0;
    let stderr = '';
    let peak = 0;
    const sample = setInterval(() => (peak = Math.max(peak, peakRss(child.pid!))), 100);
    const sink = options.stdoutFile ? createWriteStream(options.stdoutFile) : undefined;
    child.stdout.on('data', (d: Buffer) => {
      bytes += d.length;
      for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines += 1;
      sink?.write(d);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (options.stdinFile) {
      const input = readFileSync(options.stdinFile);
      child.stdin.end(input);
    } else child.stdin.end();
    child.on('error', reject);
    child.on('exit', () => (peak = Math.max(peak, peakRss(child.pid!))));
    child.on('close', (code) => {
      clearInterval(sample);
      sink?.end();
      resolve({
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        peakRssMb: peak,
        lines,
        bytes,
        code,
        stderr,
      });
    });
  });
}

function tapConfig(name: string, sb: { url: string; token: string }, extra: Record<string, unknown>): string {
  const path = join(work, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({ access_token: sb.token, api_url: sb.url, retry_backoff_seconds: 0.2, ...extra }),
  );
  return path;
}

/** The fewest requests any client needs for a full sync with a key (no totals for history). */
function minimumRequests(world: World, start: string, end: string): number {
  const window = dayWindow(start, end);
  let history = 0;
  for (let i = 0; i < world.options.contacts; i++) {
    const n = world.expectedMessages(i, window).length;
    history += world.variant(i).rotatedKey ? Math.ceil(n / 100) + 1 : Math.floor(n / 100) + 1;
  }
  let reports = 0;
  for (let from = start; from <= end; from = addDays(from, 90)) {
    const to = addDays(from, 89) < end ? addDays(from, 89) : end;
    reports += Math.max(1, Math.ceil(world.reportsBetween(from, to).length / 49));
  }
  return Math.max(1, Math.ceil(world.options.contacts / 100)) + history + reports + 8;
}

const results: Record<string, Record<string, number | string>> = {};
const goals: [string, string, string, (v: number) => boolean][] = [];
const check = (scenario: string, metric: string, goal: string, ok: (v: number) => boolean): void =>
  void goals.push([scenario, metric, goal, ok]);
const fail = (what: string, r: Run): never => {
  throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim().split('\n').at(-1)}`);
};

async function withSandbox<T>(
  options: Parameters<typeof startSandbox>[0],
  fn: (sb: Sandbox) => Promise<T>,
): Promise<T> {
  const sb = await startSandbox(options);
  try {
    return await fn(sb);
  } finally {
    await sb.close();
  }
}

async function budgetBound(): Promise<void> {
  const budget = 1200;
  const burst = 10;
  await withSandbox(
    { world: { seed: 101, contacts: scale(1000), reports: 300 }, requestsPerMinute: budget, burst },
    async (sb) => {
      const start = dayOf(sb.world.now - 60 * DAY);
      const end = dayOf(sb.world.now - DAY);
      const config = tapConfig('budget', sb, {
        start_date: start,
        end_date: end,
        private_key_jwk: sb.jwk.current,
        requests_per_minute: budget,
      });
      const r = await run([TAP, '--config', config]);
      if (r.code !== 0) fail('budget-bound', r);
      const minimum = minimumRequests(sb.world, start, end);
      const ideal = ((minimum - burst) / budget) * 60;
      results['budget-bound'] = {
        contacts: sb.world.options.contacts,
        requests: sb.counters.total,
        minimum_requests: minimum,
        rate_limited: sb.counters.rateLimited,
        seconds: r.seconds,
        ideal_seconds: ideal,
        wall_over_ideal: r.seconds / ideal,
        requests_over_minimum: sb.counters.total / minimum,
        rate_limited_share: sb.counters.rateLimited / sb.counters.total,
      };
      check('budget-bound', 'wall_over_ideal', '≤ 1.10', (v) => v <= 1.1);
      check('budget-bound', 'requests_over_minimum', '≤ 1.05', (v) => v <= 1.05);
      check('budget-bound', 'rate_limited_share', '≤ 0.01', (v) => v <= 0.01);
    },
  );
}

async function latencyBound(): Promise<void> {
  await withSandbox(
    { world: { seed: 102, contacts: scale(300), reports: 100 }, requestsPerMinute: 0, latencyMs: 100 },
    async (sb) => {
      const start = dayOf(sb.world.now - 60 * DAY);
      const base = { start_date: start, private_key_jwk: sb.jwk.current, requests_per_minute: 1_000_000 };
      const sequential = await run([
        TAP,
        '--config',
        tapConfig('seq', sb, { ...base, partition_concurrency: 1 }),
      ]);
      if (sequential.code !== 0) fail('latency-bound (concurrency 1)', sequential);
      const concurrent = await run([TAP, '--config', tapConfig('conc', sb, base)]);
      if (concurrent.code !== 0) fail('latency-bound (default concurrency)', concurrent);
      results['latency-bound'] = {
        contacts: sb.world.options.contacts,
        latency_ms: 100,
        sequential_seconds: sequential.seconds,
        default_seconds: concurrent.seconds,
        speedup_vs_sequential: sequential.seconds / concurrent.seconds,
      };
      check('latency-bound', 'speedup_vs_sequential', '≥ 5', (v) => v >= 5);
    },
  );
}

async function cpu(): Promise<void> {
  // The simulator's own cost of generating 100,000 contacts is not the tap's: a first run fills the sandbox's
  // answer cache, the second (measured) run gets the same bytes served without generation.
  const world = { seed: 103, contacts: scale(100_000), meanMessages: 20 };
  await withSandbox({ world, requestsPerMinute: 0, cacheAnswers: 5000 }, async (sb) => {
    const args = [
      TAP,
      '--config',
      tapConfig('cpu', sb, { requests_per_minute: 1_000_000 }),
      '--catalog',
      catalogOf(['contacts']),
    ];
    const warm = await run(args);
    if (warm.code !== 0) fail('cpu (contacts, warm-up)', warm);
    const contacts = await run(args);
    if (contacts.code !== 0) fail('cpu (contacts)', contacts);
    const records = sb.world.options.contacts;
    // History pages: one decryption each (RSA-OAEP-256 + AES-GCM).
    const history = await withSandbox(
      { world: { seed: 104, contacts: scale(2000), meanMessages: 20 }, requestsPerMinute: 0 },
      async (small) => {
        const r = await run([
          TAP,
          '--config',
          tapConfig('dec', small, {
            start_date: '2000-01-01',
            private_key_jwk: small.jwk.current,
            requests_per_minute: 1_000_000,
          }),
          '--catalog',
          catalogOf(['messages_history']),
        ]);
        if (r.code !== 0) fail('cpu (history)', r);
        return r;
      },
    );
    // Decryption alone, in this process: 300 full pages (100 messages each).
    const key = await loadHistoryKey(sb.jwk.current as Record<string, unknown>);
    const heavy = Array.from({ length: sb.world.options.contacts }, (_, i) => i).find(
      (i) => sb.world.messageCount(i) >= 100 && !sb.world.variant(i).rotatedKey,
    )!;
    const page = await fetch(
      `${sb.url}/v2/messages/history?customer_id=${sb.world.contactId(heavy)}&limit=100&start_date=2000-01-01`,
      { headers: { Authorization: `Bearer ${sb.token}` } },
    );
    const jwe = ((await page.json()) as { messages: string }).messages;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 300; i++)
      if ((await decryptHistory(jwe, key)).encrypted) throw new Error('decryption failed');
    const decryptSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    results['cpu'] = {
      contact_records: records,
      contacts_seconds: contacts.seconds,
      records_per_s: records / contacts.seconds,
      contacts_first_run_seconds: warm.seconds,
      records_per_s_first_run: records / warm.seconds,
      history_pages_per_s_end_to_end: history.lines / history.seconds,
      decrypts_per_s: 300 / decryptSeconds,
    };
    // No goal: absolute rates say how fast this machine is; `floors` says how close the tap is to it.
  });
}

function catalogOf(streams: string[]): string {
  const path = join(work, `catalog-${streams.join('-')}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      streams: streams.map((s) => ({
        tap_stream_id: s,
        stream: s,
        schema: {},
        key_properties: [],
        metadata: [{ breadcrumb: [], metadata: { selected: true } }],
      })),
    }),
  );
  return path;
}

async function memoryAt(contacts: number): Promise<Record<string, number>> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const jwk = join(work, 'jwk.json');
  const server = spawn(
    process.execPath,
    [
      CONVERSAS,
      'sandbox',
      '--port',
      String(port),
      '--contacts',
      String(contacts),
      '--messages',
      '12',
      '--rpm',
      '0',
      '--seed',
      '105',
      '--jwk-out',
      jwk,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let banner = '';
  await new Promise<void>((resolve, reject) => {
    server.stdout.on('data', (d: Buffer) => {
      banner += d.toString();
      if (banner.includes('access_token:')) resolve();
    });
    server.on('exit', () => reject(new Error('sandbox exited')));
  });
  let serverPeak = 0;
  const sample = setInterval(() => (serverPeak = Math.max(serverPeak, peakRss(server.pid!))), 100);
  try {
    const token = /access_token: (\S+)/.exec(banner)![1]!;
    const world = new World({ seed: 105, contacts, meanMessages: 12 });
    let messages = 0;
    for (let i = 0; i < contacts; i++) messages += world.messageCount(i);
    const config = tapConfig(
      'memory',
      { url: `http://127.0.0.1:${port}`, token },
      { start_date: '2000-01-01', requests_per_minute: 1_000_000, partition_concurrency: 16 },
    );
    const r = await run([TAP, '--config', config, '--catalog', catalogOf(['contacts', 'messages_history'])]);
    if (r.code !== 0) fail('memory', r);
    serverPeak = Math.max(serverPeak, peakRss(server.pid!));
    return {
      contacts,
      messages,
      tap_seconds: r.seconds,
      output_mb: r.bytes / 1e6,
      peak_rss_mb: r.peakRssMb,
      sandbox_peak_rss_mb: serverPeak,
    };
  } finally {
    clearInterval(sample);
    server.kill('SIGTERM');
  }
}

/** The same sync at a tenth of the size and at full size: flat memory means the two peaks are close. */
async function memory(): Promise<void> {
  const small = await memoryAt(scale(10_000));
  const large = await memoryAt(scale(100_000));
  results['memory'] = {
    ...large,
    peak_rss_mb_at_tenth: small.peak_rss_mb,
    sandbox_peak_rss_mb_at_tenth: small.sandbox_peak_rss_mb,
    rss_growth_10x: large.peak_rss_mb! / small.peak_rss_mb!,
  };
  check('memory', 'peak_rss_mb', '≤ 256', (v) => v <= 256);
}

async function load(): Promise<void> {
  await withSandbox({ world: { seed: 106, contacts: scale(100_000) }, requestsPerMinute: 0 }, async (sb) => {
    const file = join(work, 'contacts.singer');
    const tap = await run(
      [
        TAP,
        '--config',
        tapConfig('load', sb, { requests_per_minute: 1_000_000 }),
        '--catalog',
        catalogOf(['contacts']),
      ],
      { stdoutFile: file },
    );
    if (tap.code !== 0) fail('load (tap)', tap);
    await new Promise((r) => setTimeout(r, 200));
    const db = join(work, 'load.duckdb');
    const r = await run([CONVERSAS, 'load', '--db', db], { stdinFile: file });
    if (r.code !== 0) fail('load', r);
    const rows = sb.world.options.contacts;
    results['load'] = {
      rows,
      input_mb: statSync(file).size / 1e6,
      seconds: r.seconds,
      rows_per_s: rows / r.seconds,
      peak_rss_mb: r.peakRssMb,
    };
    // No goal here either: `floors` compares conversas load with DuckDB alone on the same file.
    rmSync(file);
  });
}

const scenarios: [string, () => Promise<void>][] = [
  ['budget-bound', budgetBound],
  ['latency-bound', latencyBound],
  ['cpu', cpu],
  ['memory', memory],
  ['load', load],
  ['daily', () => dailyAndFresh({ results, check, scale })],
  ['floors', () => floorsScenario({ bench: { results, check, scale }, work, tapConfig, catalogOf })],
  ['readable', () => readableScenario({ results, check, scale }, work)],
  ['concurrent', () => concurrentScenario({ results, check, scale }, work)],
];
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
for (const [name, scenario] of scenarios) {
  if (only.length && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}…\n`);
  const started = Date.now();
  await scenario();
  process.stderr.write(`bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

const fmt = (v: number | string): string =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v >= 100 ? v.toFixed(0) : v.toFixed(3)) : v;
const table = [['scenario', 'metric', 'value', 'goal', 'met']];
for (const [scenario, metric, goal, ok] of goals) {
  const value = results[scenario]?.[metric];
  if (typeof value === 'number') table.push([scenario, metric, fmt(value), goal, ok(value) ? 'yes' : 'NO']);
}
const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
process.stdout.write(
  table.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n') + '\n\n',
);
for (const [scenario, values] of Object.entries(results)) {
  process.stdout.write(
    `${scenario}: ${Object.entries(values)
      .map(([k, v]) => `${k}=${fmt(v)}`)
      .join(', ')}\n`,
  );
}
const out = join(ROOT, 'bench', 'results.json');
const previous = (() => {
  try {
    return JSON.parse(readFileSync(out, 'utf8')) as { results?: Record<string, unknown> };
  } catch {
    return {};
  }
})();
writeFileSync(
  out,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      quick,
      node: process.version,
      results: { ...(only.length ? previous.results : {}), ...results },
    },
    null,
    2,
  ) + '\n',
);
rmSync(work, { recursive: true, force: true });
