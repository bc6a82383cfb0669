/**
 * `conversas serve --no-ui`, `run`, `stop`, `runs` from the command line, at a pace where a run lasts about half
 * a minute: a run asked for over the directory's socket; the service SIGKILLed in the middle and started again
 * finishes that run by itself; `stop` ends a run within 5 s; a run against a closed port fails fast naming it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceDirectory } from '../../src/pipeline/directory.js';
import type { RunRecord } from '../../src/runs/records.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { dayWindow, groundTruth } from '../oracle.js';
import {
  CONVERSAS_BIN,
  DAY,
  dayOf,
  expectNoSecrets,
  queryCatalog,
  onlyStreams,
  runCli,
  sandboxOverrides,
} from '../helpers.js';

/** Polls `probe` until it gives a value (an event we cannot subscribe to from here), or fails after `ms`. */
async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 90_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function serve(dir: string): {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  ready: Promise<void>;
} {
  const child = spawn(process.execPath, [CONVERSAS_BIN, 'serve', '--no-ui', '--dir', dir]);
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('conversas serve:')) resolve();
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => reject(new Error(`serve ended (${code}): ${output}`)));
  });
  ready.catch(() => undefined);
  return { child, output: () => output, ready };
}

const runsOf = async (dir: string): Promise<RunRecord[]> => {
  const res = await runCli(CONVERSAS_BIN, ['runs', '--dir', dir, '--format', 'json']);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunRecord);
};

describe('conversas serve', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ world: { seed: 51, contacts: 60 }, requestsPerMinute: 0 });
  });
  afterAll(() => sb.close());

  it('runs a source on request; killed mid-run and started again, it finishes that run by itself; stop ends a run within 5 s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-'));
    const start = dayOf(sb.world.now - 30 * DAY);
    const end = dayOf(sb.world.now - DAY);
    // About 130 requests at 300 a minute: a run of some 25 s.
    const config = { ...sandboxOverrides(sb, start, end), requests_per_minute: 300 };
    new SourceDirectory(dir).save({ name: 'people', config, streams: onlyStreams('contacts', 'messages') });

    let service = serve(dir);
    await service.ready;
    const asked = await runCli(CONVERSAS_BIN, ['run', 'people', '--dir', dir]);
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toMatch(/the service started run \S+ of "people"/);
    // Mid-run: messages read (the run's record says so as it goes).
    const first = await waitFor('messages in the run', async () => {
      const run = (await runsOf(dir))[0];
      return run?.status === 'running' &&
        (run.progress?.['messages'] ?? 0) > 0 &&
        (run.timeline?.at(-1)?.requests ?? 0) > 0
        ? run
        : undefined;
    });
    service.child.kill('SIGKILL');
    await new Promise((r) => service.child.once('close', r));
    expect((await runsOf(dir))[0]!.status).toBe('running'); // as the killed service left it

    service = serve(dir);
    await service.ready;
    const finished = await waitFor('the resumed run to end', async () => {
      const run = (await runsOf(dir))[0];
      return run && run.status !== 'running' ? run : undefined;
    });
    expect(finished.id).toBe(first.id);
    expect(finished.status, finished.error ?? '').toBe('succeeded');
    expect(finished.resumed).toBe(1);
    expect(await runsOf(dir)).toHaveLength(1);
    // Its requests and timeline count both legs: the second goes on from the first's last sample.
    const killedAt = first.timeline!.at(-1)!.requests;
    const sampled = finished.timeline!.map((s) => s.requests);
    expect(sampled.slice(0, first.timeline!.length)).toEqual(first.timeline!.map((s) => s.requests));
    expect(sampled.every((n, i) => i === 0 || n >= sampled[i - 1]!)).toBe(true);
    expect(finished.requests).toBeGreaterThan(killedAt);
    // The catalog is whole: every contact, every message of the window, once.
    const truth = groundTruth(sb.world, {
      history: dayWindow(start, end),
      reportsFrom: start,
      reportsTo: end,
      decrypted: true,
    });
    const [counts] = await queryCatalog(
      join(dir, 'conversas.duckdb'),
      `SELECT (SELECT count(*) FROM raw.contacts)::INT AS contacts, (SELECT count(DISTINCT message_key) FROM raw.messages)::INT AS messages, (SELECT count(*) FROM raw.messages)::INT AS rows`,
    );
    expect(counts).toEqual({
      contacts: truth.records['contacts'],
      messages: truth.records['messages'],
      rows: truth.records['messages'],
    });

    // Stop: asked over the socket, the run ends as stopped within 5 s.
    expect((await runCli(CONVERSAS_BIN, ['run', 'people', '--dir', dir])).code).toBe(0);
    await waitFor('the second run to read', async () => {
      const run = (await runsOf(dir))[0];
      return run?.status === 'running' && run.id !== first.id && (run.progress?.['contacts'] ?? 0) > 0
        ? true
        : undefined;
    });
    const asking = Date.now();
    const stopped = await runCli(CONVERSAS_BIN, ['stop', 'people', '--dir', dir]);
    expect(Date.now() - asking).toBeLessThan(5000);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(/stopped: the current tables are unchanged/);
    const runs = await runsOf(dir);
    expect(runs.map((r) => r.status)).toEqual(['stopped', 'succeeded']);
    for (const r of runs)
      for (const field of [
        'source',
        'status',
        'trigger',
        'started_at',
        'ended_at',
        'requests',
        'rows',
        'error',
      ])
        expect(r).toHaveProperty(field);
    const [after] = await queryCatalog(
      join(dir, 'conversas.duckdb'),
      `SELECT count(*)::INT AS contacts FROM raw.contacts`,
    );
    expect(after).toEqual({ contacts: truth.records['contacts'] });

    const text = await runCli(CONVERSAS_BIN, ['runs', '--dir', dir, '--source', 'people']);
    expect(text.stdout).toMatch(/people\s+stopped\s+manual/);
    service.child.kill('SIGTERM');
    const code = await new Promise((r) => service.child.once('close', r));
    expect(code).toBe(0);
    expectNoSecrets(sb, service.output(), text.stdout, JSON.stringify(runs));
  }, 240_000);

  it('fails a run whose API cannot be reached in under 30 s, naming its URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-closed-'));
    const closed = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const url = `http://127.0.0.1:${closed}`;
    new SourceDirectory(dir).save({
      name: 'nowhere',
      config: {
        ...sandboxOverrides(sb, dayOf(sb.world.now - 30 * DAY), dayOf(sb.world.now - DAY)),
        api_url: url,
      },
      streams: onlyStreams('contacts'),
    });
    const started = Date.now();
    const res = await runCli(CONVERSAS_BIN, ['run', 'nowhere', '--dir', dir]);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`cannot connect to ${url}`);
    expect(res.stderr).toMatch(/ECONNREFUSED/);
    const [run] = await runsOf(dir);
    expect(run).toMatchObject({ source: 'nowhere', status: 'failed', trigger: 'manual' });
    expect(run!.error).toContain(url);
  }, 60_000);

  it('names what is missing: a source that does not exist, a directory without runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-none-'));
    const run = await runCli(CONVERSAS_BIN, ['run', 'nope', '--dir', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `conversas: no source named "nope" in ${join(dir, 'sources')} (the sources there: none)`,
    );
    const runs = await runCli(CONVERSAS_BIN, ['runs', '--dir', dir]);
    expect(runs.stdout.trim()).toBe(`no run yet in ${dir}`);
    expect((await runCli(CONVERSAS_BIN, ['runs', '--dir', dir, '--format', 'json'])).stdout).toBe('');
  }, 30_000);
});
