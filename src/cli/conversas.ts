#!/usr/bin/env node
/** conversas: the pipeline around the tap: sync into a DuckDB catalog, plan, load, schedule, tables, versions, ui, sandbox. */
import { Command } from 'commander';
import { formatOption, printJsonLines, printTable } from './output.js';
import { borrowServiceBudget, runCommand, runsCommand, stopCommand } from './runs.js';
import { serveCommand } from './serve.js';
import { CatalogLoader } from '../catalog/loader.js';
import { CatalogReader } from '../catalog/reader.js';
import { CatalogStore } from '../catalog/store.js';
import { InterruptedError, UserError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { readSingerInput } from '../singer/reader.js';
import { API } from '../streams/api.js';
import type { BudgetSource } from '../tap/budgets.js';
import { abortOnSignals, guardStdout, reportFailure } from './process.js';
import { VERSION } from '../version.js';
import { startDemo, type Demo } from './demo.js';
import { ProgressView } from '../pipeline/progress.js';
import { planCommand } from './plan.js';
import { uiCommand } from './ui.js';
import { sandboxCommand } from './sandbox.js';
import { scheduleCommand } from './schedule.js';
import {
  applyNaming,
  DEFAULT_DB,
  loadSource,
  withNamingOptions,
  withSourceOptions,
  type NamingOptions,
  type SourceOptions,
} from './options.js';
import { parseSource, readSource, tableFor, type Source } from '../pipeline/source.js';
import { formatSummary, runPipeline, type PipelineResult } from '../pipeline/sync.js';

const PROGRAM = 'conversas';

async function syncOnce(
  source: Source,
  opts: SourceOptions,
  log: Logger,
  demo: Demo | undefined,
  signal: AbortSignal,
  budget?: BudgetSource,
): Promise<PipelineResult> {
  const progress = new ProgressView(process.stderr);
  const started = Date.now();
  try {
    const result = await runPipeline({
      source,
      db: opts.db,
      log,
      signal,
      fresh: Boolean(opts.fresh),
      full: Boolean(opts.full),
      ...(demo ? { overrides: demo.overrides } : {}),
      ...(budget ? { budget } : {}),
      onProgress: (e) => progress.update(e),
      onPlan: (line) => process.stderr.write(`${line}\n`),
    });
    progress.stop();
    committed = true;
    process.stdout.write(formatSummary(result));
    const seconds = (Date.now() - started) / 1000;
    const realMinutes = result.tap.requests / API.requestsPerMinute;
    process.stdout.write(
      `${result.resumed ? 'resumed sync' : 'sync'} done in ${seconds.toFixed(1)} s: ${result.tap.requests} requests` +
        (demo
          ? ` (about ${realMinutes < 1 ? '<1' : Math.ceil(realMinutes)} min at the real API's ~${API.requestsPerMinute} requests/minute)`
          : '') +
        `; catalog ${opts.db}\n`,
    );
    return result;
  } finally {
    progress.stop();
  }
}

/**
 * A sync by hand (or on a single source's schedule): beside a running service it borrows the service's budget
 * (the API counts the requests of both), and stops, resumable, if that service goes away mid-sync.
 */
async function syncSharing(
  source: Source,
  opts: SourceOptions,
  log: Logger,
  demo: Demo | undefined,
  signal: AbortSignal,
): Promise<PipelineResult> {
  const shared = demo ? undefined : await borrowServiceBudget(opts, log);
  if (!shared) return syncOnce(source, opts, log, demo, signal);
  const run = new AbortController();
  const follow = (): void => run.abort(signal.reason);
  signal.addEventListener('abort', follow, { once: true });
  shared.onLost(() =>
    run.abort(new InterruptedError('the end of the service that lent this sync its request budget')),
  );
  try {
    return await syncOnce(source, opts, log, demo, run.signal, shared.budget);
  } finally {
    signal.removeEventListener('abort', follow);
    shared.close();
  }
}

async function main(argv: string[]): Promise<number> {
  // Everything this program writes (catalog, staging, Parquet, source files with tokens) is its owner's only.
  process.umask(0o077);
  // On a terminal the progress bars say what the per-stream info lines would (and those would break them).
  const bars = Boolean(process.stderr.isTTY) && !process.env['LOG_LEVEL'];
  const log = createLogger(undefined, bars ? 'warn' : undefined);
  const program = new Command(PROGRAM)
    .description(
      'RD Station Conversas into a DuckDB catalog: sync (full or incremental), plan, load Singer messages, a service that schedules, runs, stops and resumes the sources of a directory (serve, run, stop, runs), inspect tables and versions, and a local web app.',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError();

  withSourceOptions(
    program
      .command('sync')
      .description(
        "run the tap and load the result into the catalog, then remake the source's metrics views (resumes an interrupted sync; beside a running conversas serve, shares its request budget)",
      ),
  )
    .option('--fresh', 'ignore the saved STATE: no resume, and incremental streams start with a full pass')
    .option('--full', "a full pass of the incremental streams now (the seed's additional full sync)")
    .action(async (opts: SourceOptions) => {
      const source = loadSource(opts);
      const controller = new AbortController();
      const release = abortOnSignals(controller, (s) => new InterruptedError(s));
      const demo = opts.sandbox ? await startDemo({ contacts: Number(opts.contacts) }) : undefined;
      if (demo) process.stderr.write(`${demo.notice}\n`);
      try {
        await syncSharing(source, opts, log, demo, controller.signal);
      } finally {
        release();
        await demo?.sandbox.close();
      }
    });

  const LOAD_SOURCE_NAME = 'singer_load';
  withNamingOptions(
    program
      .command('load')
      .description(
        'read Singer messages on stdin into the catalog (a Singer target); echoes each committed STATE',
      )
      .option('--db <file>', 'DuckDB catalog file', DEFAULT_DB)
      .option(
        '-s, --source <file>',
        'source file for naming, retention and the state name (without one, the state is saved as "singer_load")',
      ),
  ).action(async (opts: NamingOptions & { db: string; source?: string }) => {
    // Its own state name, never the tap's: a load and a sync into one catalog keep separate bookmarks.
    const source = applyNaming(
      opts.source ? readSource(opts.source) : parseSource({}, process.cwd(), LOAD_SOURCE_NAME),
      opts,
    );
    const store = await CatalogStore.open(opts.db, { source: source.name, log });
    const loader = new CatalogLoader({
      store,
      source: source.name,
      retentionDays: source.retention_days,
      log,
      resolve: (stream) =>
        source.streams[stream]?.selected === false ? undefined : tableFor(source, stream),
      onState: (value) => void process.stdout.write(JSON.stringify(value) + '\n'),
      // A tap may send a STATE after every contact: commit (and echo) at most one a second.
      stateEveryMs: 1000,
      // Rows wait in files, not in memory: fewer, larger transactions cost DuckDB less (a commit may checkpoint).
      maxBufferBytes: 256 * 1024 * 1024,
    });
    try {
      // RECORD lines in the usual layout go to DuckDB unparsed: it parses them into the columns itself.
      for await (const messages of readSingerInput(process.stdin, { raw: true }))
        for (const message of messages) {
          const wrote = message.type === 'RAW_RECORD' ? loader.writeRaw(message) : loader.write(message);
          if (wrote) await wrote;
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

  program.addCommand(
    scheduleCommand(
      log,
      (source, opts, demo, signal) => syncSharing(source, opts, log, demo, signal),
      (error) => reportFailure(PROGRAM, error),
    ),
  );

  program
    .command('tables')
    .description(
      'list tables: layer, folder, rows, current version, last sync (and, as JSON, where its Parquet files are)',
    )
    .option('--db <file>', 'DuckDB catalog file', DEFAULT_DB)
    .addOption(formatOption())
    .action((opts: { db: string; format: 'text' | 'json' }) =>
      withCatalog(opts.db, async (store) => {
        const tables = await store.tables();
        if (opts.format === 'json') return printJsonLines(tables);
        printTable(
          tables.map((t) => (t.kind === 'view' ? { ...t, stream: `(view: ${t.model ?? ''})` } : t)),
          ['layer', 'folder', 'table', 'stream', 'rows', 'version', 'last_sync'],
        );
      }),
    );

  program
    .command('versions <table>')
    .description('list the versions kept of a table (name or layer.name), newest first')
    .option('--db <file>', 'DuckDB catalog file', DEFAULT_DB)
    .addOption(formatOption())
    .action((table: string, opts: { db: string; format: 'text' | 'json' }) =>
      withCatalog(opts.db, async (store) => {
        const versions = await store.versions(table);
        if (versions.length === 0)
          throw new UserError(`no table "${table}" in ${opts.db}; see conversas tables`);
        if (opts.format === 'json') return printJsonLines(versions);
        const columns = [
          'layer',
          'table',
          'version',
          'status',
          'mode',
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
        const rows = await store.queryJsonLines(sql).catch((error: Error) => {
          throw new UserError(`query failed: ${error.message.split('\n')[0]}`);
        });
        for (const row of rows) process.stdout.write(row + '\n');
      }),
    );

  program.addCommand(planCommand(log));
  program.addCommand(serveCommand(log));
  program.addCommand(runCommand(log));
  program.addCommand(stopCommand());
  program.addCommand(runsCommand());
  program.addCommand(uiCommand(log));
  program.addCommand(sandboxCommand());

  await program.parseAsync(argv);
  return 0;
}

/** Opens the catalog's read file (SQL cannot write it or touch other files), and always closes it. */
async function withCatalog(db: string, work: (store: CatalogReader) => Promise<void>): Promise<void> {
  const store = await CatalogReader.open(db);
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

/** Set once a sync's data is in: what stdout fails to show after that does not make the run a failure. */
let committed = false;
guardStdout(PROGRAM, (error) =>
  // A reader that stops early (`conversas query … | head`) has what it wanted.
  error.code === 'EPIPE'
    ? { code: 0 }
    : {
        code: committed ? 0 : 1,
        line: `cannot write to stdout (${error.code ?? error.message})${committed ? '; the sync is committed' : ''}`,
      },
);

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportFailure(PROGRAM, error);
  },
);
