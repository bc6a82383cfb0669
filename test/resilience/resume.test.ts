/** Killed and interrupted runs: resume from STATE with nothing lost or duplicated; loads stay atomic. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogReader } from '../../src/catalog/reader.js';
import { Rng } from '../../src/sandbox/random.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { CONVERSAS_BIN, DAY, dayOf, expectNoSecrets, runCli, TAP_BIN } from '../helpers.js';

let sb: Sandbox;
let dir: string;
const tapConfig = (extra: Record<string, unknown> = {}, server: Sandbox = sb) => {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      access_token: server.token,
      api_url: server.url,
      private_key_jwk: server.jwk.current,
      start_date: dayOf(server.world.now - 70 * DAY),
      end_date: dayOf(server.world.now - DAY),
      requests_per_minute: 1_000_000,
      retry_backoff_seconds: 0.01,
      partition_concurrency: 3,
      state_interval_seconds: 0.05,
      ...extra,
    }),
  );
  return path;
};

/** The catalog's content, comparable across runs (an undecryptable JWE differs per request; its metadata not). */
async function fingerprint(db: string): Promise<Record<string, string>> {
  const store = await CatalogReader.open(db);
  try {
    const out: Record<string, string> = {};
    for (const t of (await store.tables()).filter((t) => t.kind === 'table')) {
      const select =
        t.stream === 'messages_history'
          ? `SELECT customer_id, page, encrypted, kid, decrypt_error, CASE WHEN encrypted THEN 'jwe' ELSE data END AS data FROM raw.${t.table}`
          : `SELECT * FROM raw.${t.table}`;
      const [row] = await store.query(
        `SELECT count(*) AS n, md5(string_agg(j, '|' ORDER BY j)) AS h FROM (SELECT to_json(x)::VARCHAR AS j FROM (${select}) x)`,
      );
      out[t.table] = `${String(row!['n'])}:${String(row!['h'])}`;
    }
    return out;
  } finally {
    await store.close();
  }
}

/**
 * Runs the tap and SIGKILLs it once it has written `states` STATE lines (an event, not a time: on a fast or a
 * busy machine alike it dies mid-sync); resolves with its stdout and whether it finished first.
 */
function runTapUntilKilled(
  args: string[],
  states: number,
): Promise<{ stdout: string; finished: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TAP_BIN, ...args], { env: { ...process.env, LOG_LEVEL: 'warn' } });
    let stdout = '';
    let seen = 0;
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      stdout += text;
      seen += text.split('{"type":"STATE"').length - 1;
      // The kill lands wherever the tap is by then: mid-page, mid-line or between STATEs.
      if (seen >= states) child.kill('SIGKILL');
    });
    child.on('close', (code, signal) => resolve({ stdout, finished: signal === null && code === 0, code }));
  });
}

/** What a target may rely on after a crash: everything up to the last STATE line. */
function upToLastState(stdout: string): { kept: string; state: string | undefined } {
  const lines = stdout.split('\n');
  let last = -1;
  for (let i = 0; i < lines.length; i++) if (lines[i]!.startsWith('{"type":"STATE"')) last = i;
  if (last < 0) return { kept: '', state: undefined };
  return {
    kept: lines.slice(0, last + 1).join('\n') + '\n',
    state: JSON.stringify((JSON.parse(lines[last]!) as { value: unknown }).value),
  };
}

beforeAll(async () => {
  sb = await startSandbox({
    world: { seed: 41, contacts: 140, reports: 150 },
    requestsPerMinute: 0,
    latencyMs: 20, // a sync lasts long enough for a kill after a few STATEs to land mid-sync
  });
  dir = mkdtempSync(join(tmpdir(), 'resume-'));
});
afterAll(() => sb.close());

describe('resume after SIGKILL', () => {
  it('killed at random points and resumed from the last STATE, the catalog equals a clean sync', async () => {
    const config = tapConfig();
    const clean = await runCli(TAP_BIN, ['--config', config], { LOG_LEVEL: 'warn' });
    expect(clean.code, clean.stderr).toBe(0);
    const cleanDb = join(dir, 'clean.duckdb');
    expect((await runCli(CONVERSAS_BIN, ['load', '--db', cleanDb], {}, clean.stdout)).code).toBe(0);

    for (const seed of [1, 2]) {
      const rng = new Rng(seed);
      let output = '';
      let state: string | undefined;
      let kills = 0;
      for (let attempt = 0; attempt < 15; attempt++) {
        const args = ['--config', config, ...(state ? ['--state', join(dir, 'state.json')] : [])];
        if (state) writeFileSync(join(dir, 'state.json'), state);
        const run = await runTapUntilKilled(args, attempt < 12 ? rng.int(1, 40) : Infinity);
        if (run.finished) {
          output += run.stdout;
          break;
        }
        kills += 1;
        const kept = upToLastState(run.stdout);
        output += kept.kept;
        if (kept.state) state = kept.state;
      }
      expect(kills, `seed ${seed}`).toBeGreaterThan(0);
      expect(output.trim().split('\n').at(-1)).toBe(
        '{"type":"STATE","value":{"bookmarks":{},"currently_syncing":null}}',
      );
      const db = join(dir, `resumed-${seed}.duckdb`);
      const load = await runCli(CONVERSAS_BIN, ['load', '--db', db], {}, output);
      expect(load.code, load.stderr).toBe(0);
      expect(await fingerprint(db)).toEqual(await fingerprint(cleanDb));
    }
  });

  it('an interruption costs only the contacts in flight: STATE follows every finished contact', async () => {
    const config = tapConfig({ state_interval_seconds: 0 });
    sb.resetCounters();
    expect((await runCli(TAP_BIN, ['--config', config], { LOG_LEVEL: 'warn' })).code).toBe(0);
    const full = sb.count('/v2/messages/history');
    sb.resetCounters();
    const child = spawn(process.execPath, [TAP_BIN, '--config', config], {
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // Kill once history is well under way (the event: the sandbox has served that many history requests).
    const watch = setInterval(() => {
      if (sb.count('/v2/messages/history') >= full / 2) child.kill('SIGKILL');
    }, 1);
    await new Promise((r) => child.on('close', r));
    clearInterval(watch);
    const { state } = upToLastState(stdout);
    expect(state).toBeDefined();
    writeFileSync(join(dir, 'state-inflight.json'), state!);
    const resumed = await runCli(TAP_BIN, ['--config', config, '--state', join(dir, 'state-inflight.json')], {
      LOG_LEVEL: 'warn',
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    // Redone: at most the 3 contacts in flight (up to 3 pages each) and the one whose STATE was on its way.
    expect(sb.count('/v2/messages/history')).toBeLessThanOrEqual(full + 12);
  });

  it('a loader killed during a load leaves the previous version current and whole', async () => {
    const config = tapConfig();
    const db = join(dir, 'loader.duckdb');
    const first = await runCli(TAP_BIN, ['--config', config], { LOG_LEVEL: 'warn' });
    expect((await runCli(CONVERSAS_BIN, ['load', '--db', db], {}, first.stdout)).code).toBe(0);
    const before = await fingerprint(db);
    const second = await runCli(TAP_BIN, ['--config', config], { LOG_LEVEL: 'warn' });
    const lines = second.stdout.split('\n');
    // Feed part of the input (past some commits), then kill the loader while it waits for more.
    const child = spawn(process.execPath, [CONVERSAS_BIN, 'load', '--db', db]);
    child.stdin.on('error', () => undefined); // the kill may come while input is still being written
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // Wait for the loader to echo a committed STATE (the event), then kill it while it waits for more.
    const committed = new Promise<void>((resolve) =>
      child.stdout.on('data', () => {
        if (stdout.includes('\n')) resolve();
      }),
    );
    child.stdin.write(lines.slice(0, Math.floor(lines.length * 0.7)).join('\n') + '\n');
    await committed;
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(stdout.length).toBeGreaterThan(0); // it had committed some STATEs
    expect(await fingerprint(db)).toEqual(before);
    const reload = await runCli(CONVERSAS_BIN, ['load', '--db', db], {}, second.stdout);
    expect(reload.code, reload.stderr).toBe(0);
    const after = await fingerprint(db);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    for (const table of Object.keys(before))
      expect(after[table]!.split(':')[0]).toBe(before[table]!.split(':')[0]);
  });
});

describe('signals', () => {
  it('SIGINT: the tap stops, writes a final STATE and exits non-zero saying so', async () => {
    // Slow answers: the run lasts seconds, whatever the machine's load, so the signal comes mid-history.
    const slow = await startSandbox({
      world: { seed: 42, contacts: 100 },
      requestsPerMinute: 0,
      latencyMs: 40,
    });
    const child = spawn(
      process.execPath,
      [TAP_BIN, '--config', tapConfig({ partition_concurrency: 1 }, slow)],
      { env: { ...process.env, LOG_LEVEL: 'warn' } },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('"stream":"messages_history","record"') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise((r) => child.on('close', r));
    await slow.close();
    expect(code).toBe(130);
    expect(stderr.trim()).toBe(
      'tap-rdstation-conversas: interrupted by SIGINT; the last STATE message resumes the sync',
    );
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      type: string;
      value: { bookmarks: Record<string, { next_position?: number }> };
    };
    expect(last.type).toBe('STATE');
    expect(typeof last.value.bookmarks['messages_history']?.next_position).toBe('number');
    expect(last.value.bookmarks['flows']).toMatchObject({ done: true });
  });

  it('SIGTERM during conversas sync leaves the catalog current version untouched; the next sync resumes', async () => {
    const db = join(dir, 'sigterm.duckdb');
    const base = ['sync', '--sandbox', '--contacts', '300', '--db', db];
    expect((await runCli(CONVERSAS_BIN, base)).code).toBe(0);
    const before = await fingerprint(db);
    const child = spawn(process.execPath, [CONVERSAS_BIN, ...base], {
      env: { ...process.env, TAP_RDSTATION_CONVERSAS_STATE_INTERVAL_SECONDS: '0.05' },
    });
    let stderr = '';
    let scheduled = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (scheduled) return;
      // History (about 300 requests at the demo's 100/s) is under way shortly after the last small stream.
      if (stderr.includes('workflows: 3 records')) {
        scheduled = true;
        setTimeout(() => child.kill('SIGTERM'), 700);
      }
    });
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(130);
    expect(stderr).toMatch(
      /conversas: interrupted by SIGTERM; current tables are unchanged; run sync again to resume/,
    );
    // Every table is still the previous sync's: none switched to the interrupted one (contacts and their
    // messages agree).
    expect(await fingerprint(db)).toEqual(before);
    const resumed = await runCli(CONVERSAS_BIN, base);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming the interrupted sync/);
    expect(resumed.stderr).not.toMatch(/MaxListenersExceededWarning|\n\s+at /);
    expect((await fingerprint(db))['messages_history']!.split(':')[0]).toBe(
      before['messages_history']!.split(':')[0],
    );
    expectNoSecrets(sb, resumed.stdout, resumed.stderr);
    expect(readFileSync(db).includes(Buffer.from(sb.token))).toBe(false);
  });
});
