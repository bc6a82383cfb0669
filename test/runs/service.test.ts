/**
 * The run service: runs in processes of their own, recorded with their logs; two sources at once; one source
 * never twice at once; a stop leaves the tables as they were and the next run resumes; runs of one account share
 * its budget across processes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { SourceDirectory } from '../../src/pipeline/directory.js';
import { serveControl } from '../../src/runs/control.js';
import { RunService, type RunEvent } from '../../src/runs/service.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
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

/** Resolves with the first event of the source's run that `match` accepts. */
const eventOf = <T extends RunEvent>(
  service: RunService,
  source: string,
  match: (e: RunEvent) => e is T,
): Promise<T> =>
  new Promise((resolve) => {
    const stop = service.watch(source, (e) => {
      if (!match(e)) return;
      queueMicrotask(() => stop());
      resolve(e);
    });
  });
const isDone = (e: RunEvent): e is Extract<RunEvent, { type: 'done' }> => e.type === 'done';

/**
 * An account whose API allows 240 requests a minute (burst 10), and a directory with two sources of it at that
 * budget (contacts and messages; the second's tables prefixed): together they go faster than the API allows
 * unless they share the budget.
 */
async function oneAccountTwoSources(seed: number, contacts: number, names: [string, string]) {
  const limited = await startSandbox({ world: { seed, contacts }, requestsPerMinute: 240, burst: 10 });
  const dir = mkdtempSync(join(tmpdir(), 'runs-budget-'));
  const sources = new SourceDirectory(dir);
  const config = {
    ...sandboxOverrides(limited, dayOf(limited.world.now - 30 * DAY), dayOf(limited.world.now - DAY)),
    requests_per_minute: 240,
  };
  sources.save({ name: names[0], config, streams: onlyStreams('contacts', 'messages') });
  sources.save({ name: names[1], config, table_prefix: 'b_', streams: onlyStreams('contacts', 'messages') });
  return { limited, dir };
}

describe('RunService', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ world: { seed: 31, contacts: 40 }, requestsPerMinute: 0 });
  });
  afterAll(() => sb.close());

  it('runs two sources at once in their own processes, records them with their logs, and refuses a second run of one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runs-'));
    const sources = new SourceDirectory(dir);
    const config = sandboxOverrides(sb, dayOf(sb.world.now - 30 * DAY), dayOf(sb.world.now - DAY));
    sources.save({
      name: 'first',
      config,
      table_prefix: 'first_',
      streams: onlyStreams('contacts', 'messages'),
    });
    sources.save({
      name: 'second',
      config,
      table_prefix: 'second_',
      streams: onlyStreams('contacts', 'employees'),
    });
    const db = join(dir, 'conversas.duckdb');
    const service = new RunService({ root: dir, db, log: silentLogger });
    const first = service.start('first');
    const second = service.start('second');
    expect(first.pid).not.toBe(second.pid);
    expect(first.pid).not.toBe(process.pid);
    expect(service.isRunning('first') && service.isRunning('second')).toBe(true);
    expect(() => service.start('first')).toThrow(/"first" is running already/);
    const ended = await Promise.all([service.finished('first'), service.finished('second')]);
    expect(
      ended.map((r) => r?.status),
      JSON.stringify(ended),
    ).toEqual(['succeeded', 'succeeded']);
    expect(ended[0]!.rows['raw.first_contacts']).toBe(40);
    expect(ended[0]!.requests).toBeGreaterThan(40);
    // At once: each began before the other ended.
    expect(Date.parse(ended[0]!.started_at)).toBeLessThan(Date.parse(ended[1]!.ended_at!));
    expect(Date.parse(ended[1]!.started_at)).toBeLessThan(Date.parse(ended[0]!.ended_at!));
    const views = await queryCatalog(
      db,
      `SELECT view_name FROM duckdb_views() WHERE schema_name = 'raw' ORDER BY 1`,
    );
    expect(views.map((t) => t['view_name'])).toEqual([
      'first_contacts',
      'first_messages',
      'second_contacts',
      'second_employees',
    ]);
    // The records and logs: newest first, a log per run, never a secret.
    expect(
      service.records
        .list()
        .map((r) => r.source)
        .sort(),
    ).toEqual(['first', 'second']);
    const log = service.records.readLog(ended[0]!);
    expect(log).toMatch(/INFO contacts: 40 records/);
    expectNoSecrets(sb, log, JSON.stringify(service.records.list()));
    // A late watcher gets the ended run's outcome at once.
    expect((await eventOf(service, 'first', isDone)).run.status).toBe('succeeded');
  }, 60_000);

  it('stops a run within 5 s leaving the tables as they were; the next run resumes and completes', async () => {
    // About 25 s of requests at 300 a minute: long enough to stop in the middle.
    const slow = await startSandbox({ world: { seed: 33, contacts: 120 }, requestsPerMinute: 0 });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'runs-stop-'));
      const sources = new SourceDirectory(dir);
      const base = sandboxOverrides(slow, dayOf(slow.world.now - 30 * DAY), dayOf(slow.world.now - DAY));
      sources.save({ name: 'people', config: base, streams: onlyStreams('contacts', 'messages') });
      const db = join(dir, 'conversas.duckdb');
      const service = new RunService({ root: dir, db, log: silentLogger });
      service.start('people');
      expect((await service.finished('people'))?.status).toBe('succeeded');
      const before = await queryCatalog(db, `SELECT count(*)::INT AS n FROM raw.messages`);

      sources.save(
        {
          name: 'people',
          config: { ...base, requests_per_minute: 300 },
          streams: onlyStreams('contacts', 'messages'),
        },
        'people',
      );
      service.start('people', 'full-sync');
      await eventOf(
        service,
        'people',
        (e): e is RunEvent =>
          e.type === 'progress' && e.progress.stream === 'messages' && e.progress.records > 0,
      );
      const asked = Date.now();
      const stopped = await service.stop('people');
      expect(Date.now() - asked).toBeLessThan(5000);
      expect(stopped?.status).toBe('stopped');
      expect(stopped?.trigger).toBe('full-sync');
      expect(await queryCatalog(db, `SELECT count(*)::INT AS n FROM raw.messages`)).toEqual(before);
      const versions = await queryCatalog(
        db,
        `SELECT max(version)::INT AS v FROM _conversas.versions WHERE table_name = 'messages' AND status = 'current'`,
      );
      expect(versions).toEqual([{ v: 1 }]);

      sources.save({ name: 'people', config: base, streams: onlyStreams('contacts', 'messages') }, 'people');
      service.start('people', 'full-sync');
      const resumed = await service.finished('people');
      expect(resumed?.status).toBe('succeeded');
      expect(service.records.readLog(resumed!)).toMatch(/resum/i);
      expect(service.records.list('people').map((r) => r.status)).toEqual([
        'succeeded',
        'stopped',
        'succeeded',
      ]);
    } finally {
      await slow.close();
    }
  }, 120_000);

  it('lends one budget to the runs of one account: two runs in two processes, not one 429', async () => {
    const { limited, dir } = await oneAccountTwoSources(35, 20, ['one', 'two']);
    try {
      const service = new RunService({ root: dir, db: join(dir, 'conversas.duckdb'), log: silentLogger });
      service.start('one');
      service.start('two');
      const ended = await Promise.all([service.finished('one'), service.finished('two')]);
      expect(ended.map((r) => r?.status)).toEqual(['succeeded', 'succeeded']);
      expect(limited.counters.total).toBeGreaterThan(40);
      expect(limited.counters.rateLimited).toBe(0);
    } finally {
      await limited.close();
    }
  }, 120_000);

  it('lends its budget to a sync started by hand beside it: together, not one 429', async () => {
    const { limited, dir } = await oneAccountTwoSources(36, 40, ['scheduled', 'by_hand']);
    const db = join(dir, 'conversas.duckdb');
    const service = new RunService({ root: dir, db, log: silentLogger });
    const control = await serveControl(dir, service);
    try {
      // The service's run is reading when the sync by hand starts.
      service.start('scheduled');
      const scheduled = service.finished('scheduled');
      const reading = new Promise<void>((resolve) => {
        const stop = service.watch('scheduled', (e: RunEvent) => {
          if (e.type === 'progress' && e.progress.records > 0) {
            stop();
            resolve();
          }
        });
      });
      await reading;
      const byHand = await runCli(
        CONVERSAS_BIN,
        ['sync', '--source', join(dir, 'sources', 'by_hand.json'), '--db', db],
        { LOG_LEVEL: 'info' },
      );
      expect(byHand.code, byHand.stderr).toBe(0);
      expect(byHand.stderr).toContain(`a service runs in ${dir}: this sync shares its request budget`);
      expect((await scheduled)?.status).toBe('succeeded');
      expect(limited.counters.total).toBeGreaterThan(70);
      expect(limited.counters.rateLimited).toBe(0);
    } finally {
      await control.close();
      await limited.close();
    }
  }, 120_000);

  it("a source made to try the sandbox keeps none of its settings and runs on the next launch's sandbox", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runs-sandbox-'));
    const sources = new SourceDirectory(dir);
    const db = join(dir, 'conversas.duckdb');
    const launch = (world: Sandbox) => ({
      api_url: world.url,
      access_token: world.token,
      private_key_jwk: world.jwk.current,
      requests_per_minute: 1_000_000,
    });
    const raw = {
      name: 'trying',
      sandbox: true,
      config: { start_date: dayOf(sb.world.now - 30 * DAY) },
      streams: onlyStreams('contacts'),
    };
    expect(() => sources.save(raw)).toThrow(
      /runs on the sandbox: it can be checked and run only while one runs/,
    );
    sources.save(raw, undefined, { sandbox: launch(sb) });
    const saved = JSON.stringify(sources.raw('trying'));
    for (const key of ['api_url', 'access_token', 'private_key_jwk']) expect(saved).not.toContain(key);
    expectNoSecrets(sb, saved);

    const first = new RunService({ root: dir, db, log: silentLogger, sandbox: launch(sb) });
    first.start('trying');
    expect((await first.finished('trying'))?.status).toBe('succeeded');
    // The next launch: another sandbox, at another address.
    const next = await startSandbox({ world: { seed: 37, contacts: 25 }, requestsPerMinute: 0 });
    try {
      expect(next.url).not.toBe(sb.url);
      const second = new RunService({ root: dir, db, log: silentLogger, sandbox: launch(next) });
      second.start('trying');
      const run = await second.finished('trying');
      expect(run?.status, run?.error ?? '').toBe('succeeded');
      expect(run?.rows['raw.contacts']).toBe(25);
    } finally {
      await next.close();
    }
    const without = new RunService({ root: dir, db, log: silentLogger });
    expect(() => without.start('trying')).toThrow(/runs on the sandbox, and none runs here/);
  }, 60_000);

  it('a service that stops interrupts its runs, and the next one resumes each where it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runs-restart-'));
    const sources = new SourceDirectory(dir);
    const config = {
      ...sandboxOverrides(sb, dayOf(sb.world.now - 30 * DAY), dayOf(sb.world.now - DAY)),
      requests_per_minute: 300,
    };
    sources.save({ name: 'people', config, streams: onlyStreams('contacts', 'messages') });
    const db = join(dir, 'conversas.duckdb');
    const first = new RunService({ root: dir, db, log: silentLogger });
    const run = first.start('people');
    await eventOf(
      first,
      'people',
      (e): e is RunEvent =>
        e.type === 'progress' && e.progress.stream === 'messages' && e.progress.records > 0,
    );
    await first.shutdown();
    expect(first.records.get(run.id)?.status).toBe('interrupted');

    const next = new RunService({ root: dir, db, log: silentLogger });
    const resumed = await next.recover();
    expect(resumed.map((r) => r.id)).toEqual([run.id]);
    const ended = await next.finished('people');
    expect(ended).toMatchObject({ id: run.id, status: 'succeeded', resumed: 1 });
    expect(next.records.readLog(ended!)).toMatch(/resuming the interrupted sync/);
    // Nothing left to resume: a third start resumes nothing.
    expect(await new RunService({ root: dir, db, log: silentLogger }).recover()).toEqual([]);
  }, 120_000);
});
