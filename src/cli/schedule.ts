/**
 * `conversas schedule`: one source on its trigger, or (`--dir`) every source of a directory (the web app's) on
 * its own trigger, sources at once, in this process (`conversas serve` does the same with a process per run,
 * stop and restart). A source whose schedule was disabled in the app is left out. Runs under `--dir` are
 * recorded with the directory's runs (runs/records.ts), for `conversas runs` and the app.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { ConfigError, InterruptedError, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { redactor } from '../redact.js';
import { abortOnSignals } from './process.js';
import { RunStore } from '../runs/records.js';
import { SourceDirectory } from '../pipeline/directory.js';
import { startDemo, type Demo } from './demo.js';
import { loadSource, withSourceOptions, type SourceOptions } from './options.js';
import { runOnSchedule } from '../pipeline/scheduler.js';
import { checkSchedule, type Source } from '../pipeline/source.js';
import type { PipelineResult } from '../pipeline/sync.js';

type SyncOnce = (
  source: Source,
  opts: SourceOptions,
  demo: Demo | undefined,
  signal: AbortSignal,
) => Promise<PipelineResult>;

interface ScheduleOptions extends SourceOptions {
  cron?: string;
  maxRuns?: string;
  dir?: string;
}

export function scheduleCommand(
  log: Logger,
  syncOnce: SyncOnce,
  onFailure: (error: unknown) => void,
): Command {
  const command = withSourceOptions(
    new Command('schedule').description(
      "run sync on the source's cron trigger until stopped (SIGINT/SIGTERM); --dir: every source of a directory on its own",
    ),
  )
    .option(
      '--cron <expression>',
      "cron expression (overrides the source's schedule; 6 fields allow seconds)",
    )
    .option('--max-runs <n>', 'stop after this many syncs (per source)')
    .option('--dir <dir>', "run every source in <dir>/sources (the web app's) on its own trigger");
  return command.action(async (opts: ScheduleOptions) => {
    const maxRuns = opts.maxRuns === undefined ? undefined : Number(opts.maxRuns);
    const jobs: { name: string; expression: string; source: Source; record?: RunStore }[] = [];
    let db = opts.db;
    if (opts.dir !== undefined) {
      if (opts.source !== undefined || opts.sandbox || opts.cron !== undefined)
        throw new ConfigError(
          '--dir runs the sources of a directory on their own triggers: no --source, --sandbox or --cron',
        );
      if (command.getOptionValueSource('db') === 'default') db = join(opts.dir, 'conversas.duckdb');
      const directory = new SourceDirectory(opts.dir);
      const runs = new RunStore(opts.dir);
      for (const name of directory.names()) {
        const raw = directory.raw(name);
        const source = directory.read(name);
        if (source.schedule && raw['schedule_paused'] !== true)
          jobs.push({ name, expression: source.schedule, source, record: runs });
      }
      if (jobs.length === 0) throw new ConfigError(`no source in ${directory.dir} has an enabled schedule`);
    } else {
      const source = loadSource(opts);
      const expression = opts.cron ?? source.schedule;
      if (!expression) throw new ConfigError('no schedule: set "schedule" in the source file or pass --cron');
      jobs.push({ name: source.name, expression: checkSchedule(expression), source });
    }
    const demo = opts.sandbox ? await startDemo({ contacts: Number(opts.contacts) }) : undefined;
    const controller = new AbortController();
    const release = abortOnSignals(controller, (s) => new InterruptedError(s));
    // Sources run at once: each stages its own rows and holds the catalog only to switch; sources of one
    // account share its request budget (tap/budgets.ts). One source never runs twice at once (scheduler.ts).
    try {
      const outcomes = await Promise.all(
        jobs.map((job) =>
          runOnSchedule({
            expression: job.expression,
            run: () =>
              runRecorded(job, () =>
                syncOnce(job.source, { ...opts, db, fresh: false, full: false }, demo, controller.signal),
              ),
            onFailure,
            maxRuns,
            signal: controller.signal,
            log,
          }),
        ),
      );
      const runs = outcomes.reduce((n, o) => n + o.runs, 0);
      const failures = outcomes.reduce((n, o) => n + o.failures, 0);
      log.info(`schedule stopped after ${runs} sync(s)`);
      if (failures > 0 && !controller.signal.aborted)
        throw new UserError(`${failures} scheduled sync(s) failed`);
    } finally {
      release();
      await demo?.sandbox.close();
    }
  });
}

/** A run, recorded with the directory's runs (runs/records.ts) when it comes from a directory. */
async function runRecorded(
  job: { name: string; record?: RunStore },
  run: () => Promise<PipelineResult>,
): Promise<void> {
  const record = job.record?.begin(job.name, 'schedule', process.pid);
  try {
    const result = await run();
    if (record)
      job.record!.end(record, 'succeeded', {
        requests: result.tap.requests,
        rows: Object.fromEntries(result.tables.map((t) => [`${t.layer}.${t.table}`, t.rows])),
      });
  } catch (error) {
    const message = redactor.redact(error instanceof Error ? error.message : String(error));
    if (record)
      job.record!.end(
        record,
        error instanceof UserError && error.exitCode === 130 ? 'interrupted' : 'failed',
        {
          error: message,
        },
      );
    throw error;
  }
}
