/**
 * `conversas run`, `stop` and `runs`: a directory's runs from the command line. With a service running for the
 * directory (`conversas serve`), `run` and `stop` ask it over the directory's socket; without one, `run` runs the
 * source here, in the foreground, recorded like any other run.
 */
import { basename, dirname, resolve, join } from 'node:path';
import { Command } from 'commander';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ServiceBudget } from '../runs/budget-socket.js';
import { askService, connectServiceBudget } from '../runs/control.js';
import { RunStore, totalRows, type RunRecord } from '../runs/records.js';
import { RunService } from '../runs/service.js';
import { formatOption, printJsonLines, printTable, type OutputFormat } from './output.js';

/**
 * The budget of a service running beside a sync started by hand: the service of the catalog's directory, or of
 * the directory whose `sources/` holds the source file. Undefined when none runs there. When the service goes
 * away mid-sync, `onLost` is told (the sync stops; a run again resumes it).
 */
export async function borrowServiceBudget(
  o: { db: string; source?: string | undefined },
  log: Logger,
): Promise<ServiceBudget | undefined> {
  const roots = [dirname(resolve(o.db))];
  if (o.source && basename(dirname(resolve(o.source))) === 'sources')
    roots.push(dirname(dirname(resolve(o.source))));
  for (const root of new Set(roots)) {
    const shared = await connectServiceBudget(root);
    if (shared) {
      log.info(`a service runs in ${root}: this sync shares its request budget (one per account)`);
      return shared;
    }
  }
  return undefined;
}

const dirOption = [
  '--dir <dir>',
  'directory of the sources (<dir>/sources/*.json) and their runs',
  '.',
] as const;

export function runCommand(log: Logger): Command {
  return new Command('run')
    .argument('<source>', "a source's name in <dir>/sources")
    .description(
      "run a source now: asks the directory's service (conversas serve) if one runs, else runs it here in the foreground",
    )
    .option(...dirOption)
    .option('--db <file>', 'DuckDB catalog file, when run here (default <dir>/conversas.duckdb)')
    .option('--full', "a full pass of the incremental streams (the seed's additional full sync)")
    .action(async (source: string, opts: { dir: string; db?: string; full?: boolean }) => {
      const dir = resolve(opts.dir);
      const asked = await askService(
        dir,
        'POST',
        `/run?source=${encodeURIComponent(source)}${opts.full ? '&full=1' : ''}`,
      );
      if (asked) {
        if (asked.status !== 200) throw new UserError(String(asked.body['error']));
        const run = asked.body['run'] as RunRecord;
        process.stdout.write(
          `the service started run ${run.id} of "${source}" (see: conversas runs --source ${source})\n`,
        );
        return;
      }
      await runHere(dir, opts.db ?? join(dir, 'conversas.duckdb'), source, opts.full === true, log);
    });
}

/** No service: the run goes on here (still in a process of its own), its log on stderr; Ctrl-C stops it. */
async function runHere(dir: string, db: string, source: string, full: boolean, log: Logger): Promise<void> {
  const service = new RunService({ root: dir, db, log });
  const run = service.start(source, full ? 'full-sync' : 'manual');
  let summary = '';
  service.watch(source, (event) => {
    if (event.type === 'log') process.stderr.write(`${event.line}\n`);
    else if (event.type === 'done') summary = event.summary;
  });
  const onSignal = (): void => void service.stop(source);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const ended = (await service.finished(source)) ?? service.records.get(run.id)!;
    if (ended.status === 'succeeded') {
      process.stdout.write(summary);
      process.stdout.write(
        `run ${ended.id} succeeded: ${ended.requests} requests, ${totalRows(ended)} rows\n`,
      );
      return;
    }
    throw new UserError(
      `run ${ended.id} ${ended.status}: ${ended.error ?? ''}`,
      ended.status === 'failed' ? 1 : 130,
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function stopCommand(): Command {
  return new Command('stop')
    .argument('<source>', "a source's name in <dir>/sources")
    .description(
      "stop a source's run in the directory's service: its tables stay as they were, the next run resumes",
    )
    .option(...dirOption)
    .action(async (source: string, opts: { dir: string }) => {
      const dir = resolve(opts.dir);
      const asked = await askService(dir, 'POST', `/stop?source=${encodeURIComponent(source)}`);
      if (!asked) throw new UserError(`no service runs for ${dir} (conversas serve --dir ${opts.dir})`);
      if (asked.status !== 200) throw new UserError(String(asked.body['error']));
      const run = asked.body['run'] as RunRecord;
      process.stdout.write(
        `run ${run.id} of "${source}" ${run.status}: the current tables are unchanged; the next run resumes\n`,
      );
    });
}

export function runsCommand(): Command {
  return new Command('runs')
    .description(
      'list the runs of a directory, newest first (source, status, trigger, times, requests, rows, error)',
    )
    .option(...dirOption)
    .option('--source <name>', 'only the runs of this source')
    .addOption(formatOption())
    .action((opts: { dir: string; source?: string; format: OutputFormat }) => {
      const runs = new RunStore(resolve(opts.dir)).list(opts.source);
      if (opts.format === 'json') return printJsonLines(runs);
      if (runs.length === 0) {
        process.stdout.write(
          `no run yet${opts.source ? ` of "${opts.source}"` : ''} in ${resolve(opts.dir)}\n`,
        );
        return;
      }
      printTable(
        runs.map((r) => ({
          ...r,
          rows: totalRows(r),
          started_at: r.started_at.replace('T', ' ').slice(0, 19),
          ended_at: r.ended_at?.replace('T', ' ').slice(0, 19) ?? '',
          error: r.error ?? '',
        })),
        ['source', 'status', 'trigger', 'started_at', 'ended_at', 'requests', 'rows', 'id', 'error'],
      );
    });
}
