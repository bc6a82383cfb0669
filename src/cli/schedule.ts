/**
 * `conversas schedule`: one source on its trigger (in this process), or (`--dir`) every source of a directory
 * (the web app's) on its own trigger, sources at once, run as `conversas serve` runs them (runs/service.ts: a
 * process per run, recorded with its log, one budget per account) but until `--max-runs` or a signal, without
 * the web app or run requests. A source whose schedule was disabled in the app is left out.
 */
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { ConfigError, InterruptedError, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { abortOnSignals } from './process.js';
import { RunService } from '../runs/service.js';
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
    const jobs: { name: string; expression: string; source: Source }[] = [];
    let service: RunService | undefined;
    let db = opts.db;
    if (opts.dir !== undefined) {
      if (opts.source !== undefined || opts.sandbox || opts.cron !== undefined)
        throw new ConfigError(
          '--dir runs the sources of a directory on their own triggers: no --source, --sandbox or --cron',
        );
      if (command.getOptionValueSource('db') === 'default') db = join(opts.dir, 'conversas.duckdb');
      const directory = new SourceDirectory(opts.dir);
      // The directory's runs go as `conversas serve` runs them: each in a process of its own, recorded.
      service = new RunService({ root: resolve(opts.dir), db, log });
      for (const name of directory.names()) {
        const raw = directory.raw(name);
        const source = directory.read(name);
        if (source.schedule && raw['schedule_paused'] !== true)
          jobs.push({ name, expression: source.schedule, source });
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
    const stopRuns = (): void => void service?.shutdown();
    controller.signal.addEventListener('abort', stopRuns, { once: true });
    // Sources run at once: each stages its own rows and holds the catalog only to switch; sources of one
    // account share its request budget (tap/budgets.ts). One source never runs twice at once (scheduler.ts).
    try {
      const outcomes = await Promise.all(
        jobs.map((job) =>
          runOnSchedule({
            expression: job.expression,
            timezone: job.source.timezone,
            run: service
              ? () => runInService(service!, job.name)
              : () =>
                  syncOnce(
                    job.source,
                    { ...opts, db, fresh: false, full: false },
                    demo,
                    controller.signal,
                  ).then(() => undefined),
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

/** A run of the directory's service, to its end; a run that did not succeed is the schedule's failure. */
async function runInService(service: RunService, source: string): Promise<void> {
  service.start(source, 'schedule');
  const run = await service.finished(source);
  if (run && run.status !== 'succeeded')
    throw new UserError(
      `"${source}": run ${run.id} ${run.status}: ${run.error ?? ''}`,
      run.status === 'failed' ? 1 : 130,
    );
}
