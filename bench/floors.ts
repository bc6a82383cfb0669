/**
 * Scenario `floors`: the tap and the loader against floors measured in the same run on the same data, so the
 * ratios say how close to the machine's limit each is, whatever the machine. The tap's floor
 * (bench/floor-tap.mjs) asks for the same contact pages over node:http and writes the same RECORD lines; the
 * loader's (bench/floor-load.mjs) is DuckDB alone reading the same Singer file into the same column types.
 * CPU is user + system time from /usr/bin/time. Runs alternate (tap, floor, tap, floor, …, five of each); a ratio
 * is the median of each run over the floor run beside it (a busy moment slows both of a pair, and one pair does
 * not decide), and the ratio of the lowest of each side is kept too. On this shared 2-core machine one run's CPU
 * varies by up to a third from the next. DuckDB alone reads the contacts' known
 * fields only; a second DuckDB floor also keeps the fields no schema lists (`custom_fields`, which the loader
 * keeps in `_extra`), as information: it is the same data the loader lands. A third takes the input on stdin,
 * as the loader does, copies it to a file as it comes and then lets DuckDB read it keeping every field: the
 * least any target handing DuckDB a pipe's lines can do, with no Singer message read at all.
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
/** Alternating runs of each side. */
const RUNS = 5;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Each run of one side over the run of the other beside it, as a median (see above). */
const pairedRatio = (runs: Measured[], floor: Measured[], of: 'cpu' | 'wall'): number =>
  median(runs.map((m, i) => m[of] / floor[i]![of]));

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
        return reject(
          new Error(`${args[0]} failed (${code}): ${stderr.replace(/cpu [\d.]+ [\d.]+\s*$/, '').trim()}`),
        );
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
      join(ROOT, 'dist/cli/tap.js'),
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
    for (let i = 0; i < RUNS; i++) {
      taps.push(await measure(tapArgs));
      floorsRun.push(await measure(floorArgs));
    }
    const tap = Math.min(...taps.map((m) => m.cpu));
    const floor = Math.min(...floorsRun.map((m) => m.cpu));
    // Each tap run against the floor run next to it: the machine's slow moments hit both alike.
    const tapRatio = pairedRatio(taps, floorsRun, 'cpu');
    if (floorsRun[0]!.lines !== sb.world.options.contacts)
      throw new Error(`the tap floor wrote ${floorsRun[0]!.lines} records`);

    const fields = columnsOf(contacts.schema).map((c) => `${quoteIdent(c.name)} ${sqlType(c.type)}`);
    const struct = `STRUCT(${fields.join(', ')})`;
    // Fields no schema lists (kept by the loader in `_extra`): `custom_fields` was one before the schema named it.
    const known = columnsOf(contacts.schema).some((c) => c.name === 'custom_fields');
    const everyField = known
      ? struct
      : `STRUCT(${[...fields, `${quoteIdent('custom_fields')} JSON`].join(', ')})`;
    const loads: Measured[] = [];
    const duck: Measured[] = [];
    const duckEvery: Measured[] = [];
    const pipe: Measured[] = [];
    for (let i = 0; i < RUNS; i++) {
      const db = join(o.work, `floors-${i}.duckdb`);
      loads.push(await measure([join(ROOT, 'dist/cli/conversas.js'), 'load', '--db', db], undefined, file));
      const alone = join(o.work, `floors-alone-${i}.duckdb`);
      duck.push(await measure([join(ROOT, 'bench/floor-load.mjs'), alone, file, 'contacts', struct]));
      rmSync(alone, { force: true });
      duckEvery.push(
        await measure([join(ROOT, 'bench/floor-load.mjs'), alone, file, 'contacts', everyField]),
      );
      rmSync(alone, { force: true });
      pipe.push(
        await measure(
          [join(ROOT, 'bench/floor-load.mjs'), alone, '-', 'contacts', everyField],
          undefined,
          file,
        ),
      );
      rmSync(db, { force: true });
      rmSync(alone, { force: true });
    }
    const load = Math.min(...loads.map((m) => m.wall));
    const loadRatio = pairedRatio(loads, duck, 'wall');
    const alone = Math.min(...duck.map((m) => m.wall));
    const aloneEvery = Math.min(...duckEvery.map((m) => m.wall));
    const piped = Math.min(...pipe.map((m) => m.wall));
    results['floors'] = {
      contacts: sb.world.options.contacts,
      input_mb: statSync(file).size / 1e6,
      tap_cpu_seconds: tap,
      floor_cpu_seconds: floor,
      tap_cpu_over_floor: tapRatio,
      tap_cpu_over_floor_of_lowest: tap / floor,
      load_wall_seconds: load,
      duckdb_alone_wall_seconds: alone,
      load_wall_over_duckdb: loadRatio,
      load_wall_over_duckdb_of_lowest: load / alone,
      duckdb_every_field_wall_seconds: aloneEvery,
      load_wall_over_duckdb_every_field: load / aloneEvery,
      pipe_floor_wall_seconds: piped,
      pipe_floor_over_duckdb: pairedRatio(pipe, duck, 'wall'),
      load_wall_over_pipe_floor: pairedRatio(loads, pipe, 'wall'),
    };
    check('floors', 'tap_cpu_over_floor', '≤ 1.15', (v) => v <= 1.15);
    check('floors', 'load_wall_over_duckdb', '≤ 1.3', (v) => v <= 1.3);
    check('floors', 'load_wall_over_pipe_floor', '≤ 1.3', (v) => v <= 1.3);
    rmSync(file, { force: true });
  } finally {
    await sb.close();
  }
}
