/**
 * Scenario `floors`: the tap and the loader against floors measured in the same run on the same data, so the
 * ratios say how close to the machine's limit each is, whatever the machine. The tap's floor
 * (bench/floor-tap.mjs) asks for the same contact pages over node:http and writes the same RECORD lines; the
 * loader's (bench/floor-load.mjs) is DuckDB alone reading the same Singer file into the same column types.
 * CPU is user + system time from /usr/bin/time; runs alternate (tap, floor, tap, floor) and the lower of each is
 * kept, so a busy moment does not decide a ratio.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { columnsOf, quoteIdent, sqlType } from '../src/catalog/columns.js';
import { startSandbox } from '../src/sandbox/index.js';
import { contacts } from '../src/streams/contacts.js';
import type { Bench } from './daily.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Measured {
  cpu: number;
  wall: number;
  lines: number;
}

/** Runs node with args under /usr/bin/time; stdout counted (or written to a file). */
function measure(args: string[], stdoutFile?: string, stdinFile?: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, ...args], {
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: [stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    if (stdinFile) createReadStream(stdinFile).pipe(child.stdin!);
    let lines = 0;
    let stderr = '';
    const sink = stdoutFile ? createWriteStream(stdoutFile) : undefined;
    child.stdout!.on('data', (d: Buffer) => {
      for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines += 1;
      sink?.write(d);
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      sink?.end();
      const match = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      if (code !== 0 || !match)
        return reject(new Error(`${args[0]} failed (${code}): ${stderr.trim().split('\n').at(-1)}`));
      resolve({
        cpu: Number(match[1]) + Number(match[2]),
        wall: Number(process.hrtime.bigint() - started) / 1e9,
        lines,
      });
    });
  });
}

export async function floorsScenario(o: {
  bench: Bench;
  work: string;
  tapConfig: (name: string, sb: { url: string; token: string }, extra: Record<string, unknown>) => string;
  catalogOf: (streams: string[]) => string;
}): Promise<void> {
  const { results, check, scale } = o.bench;
  const sb = await startSandbox({
    world: { seed: 107, contacts: scale(100_000), meanMessages: 20 },
    requestsPerMinute: 0,
    cacheAnswers: 5000,
  });
  try {
    const tapArgs = [
      join(ROOT, 'dist/tap/cli.js'),
      '--config',
      o.tapConfig('floors', sb, { requests_per_minute: 1_000_000 }),
      '--catalog',
      o.catalogOf(['contacts']),
    ];
    const floorArgs = [join(ROOT, 'bench/floor-tap.mjs'), sb.url, sb.token, 'contacts', '/v2/customers'];
    const file = join(o.work, 'floors.singer');
    await measure(tapArgs, file); // fills the sandbox's answer cache, and the file the loaders read
    const taps: Measured[] = [];
    const floorsRun: Measured[] = [];
    for (let i = 0; i < 2; i++) {
      taps.push(await measure(tapArgs));
      floorsRun.push(await measure(floorArgs));
    }
    const tap = Math.min(...taps.map((m) => m.cpu));
    const floor = Math.min(...floorsRun.map((m) => m.cpu));
    if (floorsRun[0]!.lines !== sb.world.options.contacts)
      throw new Error(`the tap floor wrote ${floorsRun[0]!.lines} records`);

    const struct = `STRUCT(${columnsOf(contacts.schema)
      .map((c) => `${quoteIdent(c.name)} ${sqlType(c.type)}`)
      .join(', ')})`;
    const loads: Measured[] = [];
    const duck: Measured[] = [];
    for (let i = 0; i < 2; i++) {
      const db = join(o.work, `floors-${i}.duckdb`);
      loads.push(await measure([join(ROOT, 'dist/pipeline/cli.js'), 'load', '--db', db], undefined, file));
      const alone = join(o.work, `floors-alone-${i}.duckdb`);
      duck.push(await measure([join(ROOT, 'bench/floor-load.mjs'), alone, file, 'contacts', struct]));
      rmSync(db, { force: true });
      rmSync(alone, { force: true });
    }
    const load = Math.min(...loads.map((m) => m.wall));
    const alone = Math.min(...duck.map((m) => m.wall));
    results['floors'] = {
      contacts: sb.world.options.contacts,
      input_mb: statSync(file).size / 1e6,
      tap_cpu_seconds: tap,
      floor_cpu_seconds: floor,
      tap_cpu_over_floor: tap / floor,
      load_wall_seconds: load,
      duckdb_alone_wall_seconds: alone,
      load_wall_over_duckdb: load / alone,
    };
    check('floors', 'tap_cpu_over_floor', '≤ 1.15', (v) => v <= 1.15);
    check('floors', 'load_wall_over_duckdb', '≤ 1.3', (v) => v <= 1.3);
    rmSync(file, { force: true });
  } finally {
    await sb.close();
  }
}
