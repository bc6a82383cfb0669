/**
 * The catalog under hostile use: the demo next to a real source, settings changed before a resume, a
 * read-only query, a damaged file, names that would clash with the catalog's own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { silentLogger } from '../../src/log.js';
import { parseSource } from '../../src/pipeline/source.js';
import { runPipeline } from '../../src/pipeline/sync.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { CONVERSAS_BIN, DAY, dayOf, queryCatalog, runCli, sandboxOverrides } from '../helpers.js';
import { dayWindow, groundTruth } from '../oracle.js';

let sb: Sandbox;
let dir: string;
let start: string;
let end: string;
const overrides = () => sandboxOverrides(sb, start, end);
const query = queryCatalog;

/** Runs `conversas` in a folder; resolves with its exit code and output. */
function conversasIn(
  cwd: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CONVERSAS_BIN, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const capture = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  const log = (m: string): void => void lines.push(m);
  return { lines, debug: log, info: log, warn: log, error: log };
};

beforeAll(async () => {
  sb = await startSandbox({ world: { seed: 61, contacts: 30, reports: 60 }, requestsPerMinute: 0 });
  dir = mkdtempSync(join(tmpdir(), 'conversas-integrity-'));
  start = dayOf(sb.world.now - 60 * DAY);
  end = dayOf(sb.world.now - DAY);
});
afterAll(() => sb.close());

describe('catalog integrity', () => {
  it("the demo never writes into a real source's tables or state", async () => {
    const folder = mkdtempSync(join(dir, 'real-'));
    writeFileSync(join(folder, 'conversas.json'), JSON.stringify({ name: 'real', config: overrides() }));
    const real = await conversasIn(folder, ['sync']);
    expect(real.code, real.stderr).toBe(0);
    const db = join(folder, 'conversas.duckdb');
    const before = await query(db, `SELECT table_name, version, rows FROM _conversas.versions ORDER BY 1`);
    const state = await query(db, `SELECT source, value::VARCHAR AS v FROM _conversas.state ORDER BY 1`);

    const demo = await conversasIn(folder, ['sync', '--sandbox', '--contacts', '10']);
    expect(demo.code).toBe(1);
    expect(demo.stderr.trim().split('\n').at(-1)).toMatch(
      /^conversas: raw\.\w+ holds the data of source "real"; the sandbox never writes into a real source: choose another --layer or --prefix, or another --db$/,
    );
    expect(await query(db, `SELECT table_name, version, rows FROM _conversas.versions ORDER BY 1`)).toEqual(
      before,
    );
    expect(
      await query(db, `SELECT source, value::VARCHAR AS v FROM _conversas.state WHERE source = 'real'`),
    ).toEqual(state.filter((s) => s['source'] === 'real'));
    // In a layer of its own the demo runs beside the real source.
    const beside = await conversasIn(folder, ['sync', '--sandbox', '--contacts', '10', '--layer', 'demo']);
    expect(beside.code, beside.stderr).toBe(0);
    expect(await query(db, `SELECT count(*) AS n FROM demo.contacts`)).toEqual([{ n: '10' }]);
    expect(await query(db, `SELECT count(*) AS n FROM raw.contacts`)).toEqual([{ n: '30' }]);
  });

  it('a resume after the settings changed starts over, says why, and loses no row', async () => {
    const db = join(dir, 'settings.duckdb');
    sb.resetCounters();
    let revoke = true;
    const timer = setInterval(() => {
      if (revoke && sb.count('/v2/messages/history') > 8) sb.control.tokenRevoked = true;
    }, 1);
    try {
      await expect(
        runPipeline({
          source: parseSource({ layer: 'bronze' }),
          db,
          log: silentLogger,
          overrides: { ...overrides(), partition_concurrency: 2 },
        }),
      ).rejects.toThrow(/401/);
    } finally {
      revoke = false;
      clearInterval(timer);
      sb.control.tokenRevoked = false;
    }
    const log = capture();
    const result = await runPipeline({
      source: parseSource({ layer: 'silver' }),
      db,
      log,
      overrides: overrides(),
    });
    expect(result.resumed).toBe(false);
    expect(log.lines.join('\n')).toMatch(
      /not resuming the interrupted sync \(the tables \(layer, folder, prefix or names\) changed since\): starting over/,
    );
    const truth = groundTruth(sb.world, {
      history: dayWindow(start, end),
      reportsFrom: start,
      reportsTo: end,
      decrypted: true,
    });
    for (const [stream, n] of Object.entries(truth.records))
      expect(await query(db, `SELECT count(*) AS n FROM silver.${stream}`), stream).toEqual([
        { n: String(n) },
      ]);
    // Nothing of the abandoned bronze sync is left waiting.
    expect(await query(db, `SELECT count(*) AS n FROM _conversas.versions WHERE layer = 'bronze'`)).toEqual([
      { n: '0' },
    ]);
  });

  it('query, tables and versions are read-only: no write, no file access', async () => {
    const db = join(dir, 'readonly.duckdb');
    await runPipeline({
      source: parseSource({
        streams: {
          contacts: { selected: false },
          messages_history: { selected: false },
          messages: { selected: false },
        },
      }),
      db,
      log: silentLogger,
      overrides: overrides(),
    });
    for (const [sql, error] of [
      ['DROP TABLE _conversas.versions', /read-only/],
      ["COPY (SELECT 1) TO '" + join(dir, 'out.csv') + "'", /file system operations are disabled/],
      ["SELECT * FROM read_text('/etc/hostname')", /file system operations are disabled/],
      ['SET enable_external_access = true', /configuration has been locked/],
    ] as const) {
      const res = await runCli(CONVERSAS_BIN, ['query', sql, '--db', db]);
      expect(res.code, sql).toBe(1);
      expect(res.stderr, sql).toMatch(error);
    }
    // Rows as JSON lines typed as DuckDB types them: a count and a DECIMAL are numbers, not strings.
    const typed = await runCli(CONVERSAS_BIN, [
      'query',
      'SELECT count(*) AS n, 2.50::DECIMAL(5,2) AS d, max(id) IS NOT NULL AS b FROM raw.flows;',
      '--db',
      db,
    ]);
    expect(typed.code, typed.stderr).toBe(0);
    expect(JSON.parse(typed.stdout)).toEqual({ n: expect.any(Number) as number, d: 2.5, b: true });
    const tables = await runCli(CONVERSAS_BIN, ['tables', '--db', db]);
    expect(tables.code, tables.stderr).toBe(0);
    expect(tables.stdout).toMatch(/raw\s+flows/);
  });

  it('a damaged catalog is called damaged, not busy', async () => {
    const db = join(dir, 'damaged.duckdb');
    writeFileSync(db, Buffer.alloc(64 * 1024, 7));
    const res = await runCli(CONVERSAS_BIN, ['tables', '--db', db]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /^conversas: cannot open the catalog .*damaged\.duckdb: it is damaged or not a DuckDB catalog/,
    );
    expect(res.stderr).not.toMatch(/in use/);
  });

  it("names that clash with the catalog's own or differ only in case are refused up front", () => {
    expect(() => parseSource({ layer: '_conversas' })).toThrow(/reserved for the catalog's own bookkeeping/);
    expect(() => parseSource({ layer: '_conversas_versions' })).toThrow(/reserved/);
    expect(() => parseSource({ layer: 'RAW' })).toThrow(/"RAW" is not a valid name: use lowercase letters/);
    expect(() => parseSource({ table_prefix: 'Rd_' })).toThrow(/lowercase/);
  });
});
