#!/usr/bin/env node
/** conversas: the pipeline around the tap: sync into a DuckDB catalog, load, schedule, tables, versions, sandbox. */
import { existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { Cron } from 'croner';
import { CatalogLoader } from '../catalog/loader.js';
import { CatalogStore } from '../catalog/store.js';
import { readConfigSources } from '../config.js';
import { ConfigError, InterruptedError, UserError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import type { SingerMessage } from '../singer/messages.js';
import { startSandbox } from '../sandbox/index.js';
import { abortOnSignals, reportFailure } from '../tap/main.js';
import { VERSION } from '../version.js';
import { startDemo, type Demo } from './demo.js';
import { ProgressView } from './progress.js';
import { checkSchedule, parseSource, readSource, tableFor, type Source } from './source.js';
import { formatSummary, runPipeline } from './sync.js';

const PROGRAM = 'conversas';
const DEFAULT_DB = './conversas.duckdb';
const DEFAULT_SOURCE = './conversas.json';

interface NamingOptions {
  layer?: string;
  folder?: string;
  prefix?: string;
  retentionDays?: string;
}

interface SourceOptions extends NamingOptions {
  source?: string;
  db: string;
  sandbox?: boolean;
  contacts?: string;
  config: string[];
  fresh?: boolean;
}

/** Naming and retention flags, over the source file's values. */
function withNamingOptions(command: Command): Command {
  return command
    .option('--layer <name>', 'layer (DuckDB schema) for every table')
    .option('--folder <text>', 'folder: the start of every table name')
    .option('--prefix <text>', 'table prefix')
    .option('--retention-days <n>', 'days old versions stay queryable');
}

function applyNaming(source: Source, opts: NamingOptions): Source {
  if (opts.layer !== undefined) source.layer = opts.layer;
  if (opts.folder !== undefined) source.folder = opts.folder;
  if (opts.prefix !== undefined) source.table_prefix = opts.prefix;
  if (opts.retentionDays !== undefined) {
    const days = Number(opts.retentionDays);
    if (!Number.isFinite(days) || days < 0)
      throw new ConfigError('--retention-days must be a number of days ≥ 0');
    source.retention_days = days;
  }
  return source;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function loadSource(opts: SourceOptions): Source {
  const path = opts.source ?? (existsSync(DEFAULT_SOURCE) ? DEFAULT_SOURCE : undefined);
  const source = path ? readSource(path) : parseSource({});
  if (opts.config.length) Object.assign(source.config, readConfigSources(opts.config));
  if (!path && !opts.sandbox && opts.config.length === 0) {
    throw new ConfigError(
      `no source: write ${DEFAULT_SOURCE} (see README), pass --source FILE or --config FILE, or try --sandbox`,
    );
  }
  return applyNaming(source, opts);
}

function withSourceOptions(command: Command): Command {
  return withNamingOptions(command)
    .option('-s, --source <file>', `source file (default ${DEFAULT_SOURCE} when present)`)
    .option('--db <file>', 'DuckDB catalog file', DEFAULT_DB)
    .option(
      '-c, --config <file>',
      "tap config file merged over the source's (repeatable; ENV reads variables)",
      collect,
      [],
    )
    .option('--sandbox', 'sync from the built-in API simulator (no account needed)')
    .option('--contacts <n>', 'contacts in the --sandbox world', '300');
}

async function syncOnce(
  source: Source,
  opts: SourceOptions,
  log: Logger,
  demo: Demo | undefined,
  signal: AbortSignal,
): Promise<void> {
  const progress = new ProgressView(process.stderr);
  const started = Date.now();
  try {
    const result = await runPipeline({
      source,
      db: opts.db,
      log,
      signal,
      fresh: Boolean(opts.fresh),
      ...(demo ? { overrides: demo.overrides } : {}),
      onProgress: (e) => progress.update(e),
    });
    progress.stop();
    process.stdout.write(formatSummary(result));
    const seconds = (Date.now() - started) / 1000;
    const realMinutes = result.tap.requests / 48;
    process.stdout.write(
      `${result.resumed ? 'resumed sync' : 'sync'} done in ${seconds.toFixed(1)} s: ${result.tap.requests} requests` +
        (demo
          ? ` (about ${realMinutes < 1 ? '<1' : Math.ceil(realMinutes)} min at the real API's ~48 requests/minute)`
          : '') +
        `; catalog ${opts.db}\n`,
    );
  } finally {
    progress.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  // On a terminal the progress bars say what the per-stream info lines would (and those would break them).
  const bars = Boolean(process.stderr.isTTY) && !process.env['LOG_LEVEL'];
  const log = createLogger(undefined, bars ? 'warn' : undefined);
  const program = new Command(PROGRAM)
    .description(
      'RD Station Conversas into a DuckDB catalog: sync, load Singer messages, schedule, inspect tables and versions.',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError();

  withSourceOptions(
    program
      .command('sync')
      .description('run the tap and load the result into the catalog (resumes an interrupted sync)'),
  )
    .option('--fresh', 'ignore a saved STATE and start a new full sync')
    .action(async (opts: SourceOptions) => {
      const source = loadSource(opts);
      const controller = new AbortController();
      const release = abortOnSignals(controller, (s) => new InterruptedError(s));
      const demo = opts.sandbox ? await startDemo({ contacts: Number(opts.contacts) }) : undefined;
      if (demo) process.stderr.write(`${demo.notice}\n`);
      try {
        await syncOnce(source, opts, log, demo, controller.signal);
      } finally {
        release();
        await demo?.sandbox.close();
      }
    });

  withNamingOptions(
    program
      .command('load')
      .description(
        'read Singer messages on stdin into the catalog (a Singer target); echoes each committed STATE',
      )
      .option('--db <file>', 'DuckDB catalog file', DEFAULT_DB)
      .option('-s, --source <file>', 'source file for naming, retention and the state name'),
  ).action(async (opts: NamingOptions & { db: string; source?: string }) => {
    const source = applyNaming(opts.source ? readSource(opts.source) : parseSource({}), opts);
    const store = await CatalogStore.open(opts.db);
    const loader = new CatalogLoader({
      store,
      source: source.name,
      retentionDays: source.retention_days,
      log,
      resolve: (stream) =>
        source.streams[stream]?.selected === false ? undefined : tableFor(source, stream),
      onState: (value) => void process.stdout.write(JSON.stringify(value) + '\n'),
    });
    try {
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      let n = 0;
      for await (const line of lines) {
        n += 1;
        if (!line.trim()) continue;
        let message: SingerMessage;
        try {
          message = JSON.parse(line) as SingerMessage;
        } catch {
          throw new UserError(
            `input line ${n} is not JSON (is something other than Singer messages on the tap's stdout?)`,
          );
        }
        if (!message || typeof message !== 'object' || typeof message.type !== 'string')
          throw new UserError(`input line ${n} is not a Singer message`);
        await loader.write(message);
      }
      const incomplete = await loader.finish();
      for (const t of loader.loaded) log.info(`${t.layer}.${t.table}: version ${t.version} (${t.rows} rows)`);
      if (incomplete.length) {
        throw new UserError(
          `input ended before ${incomplete.join(', ')} finished (no ACTIVATE_VERSION): their current tables are unchanged; the rows wait for a resumed run`,
        );
      }
    } finally {
      loader.close();
      await store.close();
    }
  });

  withSourceOptions(
    program
      .command('schedule')
      .description("run sync on the source's cron trigger until stopped (SIGINT/SIGTERM)"),
  )
    .option(
      '--cron <expression>',
      "cron expression (overrides the source's schedule; 6 fields allow seconds)",
    )
    .option('--max-runs <n>', 'stop after this many syncs')
    .action(async (opts: SourceOptions & { cron?: string; maxRuns?: string }) => {
      const source = loadSource(opts);
      const expression = opts.cron ?? source.schedule;
      if (!expression) throw new ConfigError('no schedule: set "schedule" in the source file or pass --cron');
      checkSchedule(expression);
      const demo = opts.sandbox ? await startDemo({ contacts: Number(opts.contacts) }) : undefined;
      const controller = new AbortController();
      const release = abortOnSignals(controller, (s) => new InterruptedError(s));
      let runs = 0;
      let running = false;
      let failures = 0;
      await new Promise<void>((resolve) => {
        const job = new Cron(expression, async () => {
          if (running) {
            log.warn('tick skipped: the previous sync is still running');
            return;
          }
          running = true;
          runs += 1;
          log.info(`scheduled sync ${runs} started`);
          try {
            await syncOnce(source, { ...opts, fresh: false }, log, demo, controller.signal);
            log.info(`scheduled sync ${runs} finished`);
          } catch (error) {
            failures += 1;
            reportFailure(PROGRAM, error);
          } finally {
            running = false;
          }
          if ((opts.maxRuns && runs >= Number(opts.maxRuns)) || controller.signal.aborted) {
            job.stop();
            resolve();
          }
        });
        log.info(`scheduled "${expression}"; next run ${job.nextRun()?.toISOString() ?? 'never'}`);
        controller.signal.addEventListener('abort', () => {
          job.stop();
          const wait = setInterval(() => {
            if (!running) {
              clearInterval(wait);
              resolve();
            }
          }, 50);
        });
      });
      release();
      await demo?.sandbox.close();
      log.info(`schedule stopped after ${runs} sync(s)`);
      if (failures > 0 && controller.signal.aborted === false)
        throw new UserError(`${failures} scheduled sync(s) failed`);
    });

  program
    .command('tables')
    .description('list tables: layer, folder, rows, current version, last sync')
    .option('--db <file>', 'DuckDB catalog file', DEFAULT_DB)
    .action((opts: { db: string }) =>
      withCatalog(opts.db, async (store) =>
        printTable(await store.tables(), [
          'layer',
          'folder',
          'table',
          'stream',
          'rows',
          'version',
          'last_sync',
        ]),
      ),
    );

  program
    .command('versions <table>')
    .description('list the versions kept of a table (name or layer.name), newest first')
    .option('--db <file>', 'DuckDB catalog file', DEFAULT_DB)
    .action((table: string, opts: { db: string }) =>
      withCatalog(opts.db, async (store) => {
        const versions = await store.versions(table);
        if (versions.length === 0)
          throw new UserError(`no table "${table}" in ${opts.db}; see conversas tables`);
        const columns = [
          'layer',
          'table',
          'version',
          'status',
          'rows',
          'activated_at',
          'superseded_at',
          'physical',
        ] as const;
        printTable(versions, [...columns]);
      }),
    );

  program
    .command('query <sql>')
    .description('run a SQL query on the catalog and print the rows as JSON lines')
    .option('--db <file>', 'DuckDB catalog file', DEFAULT_DB)
    .action((sql: string, opts: { db: string }) =>
      withCatalog(opts.db, async (store) => {
        const rows = await store.query(sql).catch((error: Error) => {
          throw new UserError(`query failed: ${error.message.split('\n')[0]}`);
        });
        for (const row of rows) process.stdout.write(JSON.stringify(row) + '\n');
      }),
    );

  program
    .command('sandbox')
    .description(
      'serve the API simulator on 127.0.0.1 for manual use (prints the URL, token and private JWK file)',
    )
    .option('--port <n>', 'port (0 picks a free one)', '8787')
    .option('--seed <n>', 'world seed', '1')
    .option('--contacts <n>', 'contacts', '300')
    .option('--messages <n>', 'average messages per contact', '12')
    .option('--rpm <n>', 'requests per minute per token (0: no limit)', '48')
    .option('--burst <n>', 'burst of the rate limit', '30')
    .option('--latency-ms <n>', 'latency added to every answer', '0')
    .addOption(
      new Option('--plan <plan>', 'account plan (pro answers 403 on history)')
        .choices(['advanced', 'pro'])
        .default('advanced'),
    )
    .option('--jwk-out <file>', 'where to write the private JWK', './sandbox-private-jwk.json')
    .action(async (opts: Record<string, string>) => {
      const num = (name: string): number => {
        const n = Number(opts[name]);
        if (!Number.isFinite(n) || n < 0) throw new ConfigError(`--${name} must be a number ≥ 0`);
        return n;
      };
      const sandbox = await startSandbox({
        port: num('port'),
        requestsPerMinute: num('rpm'),
        burst: num('burst'),
        latencyMs: num('latencyMs'),
        plan: opts['plan'] as 'advanced' | 'pro',
        world: { seed: num('seed'), contacts: num('contacts'), meanMessages: num('messages') },
      });
      writeFileSync(opts['jwkOut']!, JSON.stringify(sandbox.jwk.current, null, 2), { mode: 0o600 });
      process.stdout.write(
        `sandbox listening at ${sandbox.url}\naccess_token: ${sandbox.token}\nprivate JWK written to ${opts['jwkOut']}\n` +
          `try: tap-rdstation-conversas --config <(echo '{"api_url":"${sandbox.url}","access_token":"${sandbox.token}"}') --test\nCtrl-C stops it.\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sandbox.close();
    });

  await program.parseAsync(argv);
  return 0;
}

/** Opens an existing catalog for a read, and always closes it. */
async function withCatalog(db: string, work: (store: CatalogStore) => Promise<void>): Promise<void> {
  if (!existsSync(db)) throw new UserError(`no catalog at ${db}: run conversas sync first (or pass --db)`);
  const store = await CatalogStore.open(db);
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

function printTable<T extends object>(rows: T[], columns: (keyof T & string)[]): void {
  const cells = rows.map((r) => columns.map((c) => String((r as Record<string, unknown>)[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(
    [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n',
  );
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportFailure(PROGRAM, error);
  },
);
