/**
 * `conversas serve`: the one long-running process of a directory: every source on its own schedule, runs asked
 * for by `conversas run` / `stop` (over the directory's socket) or by the web app, each run in a process of its
 * own, recorded with its log; at start, runs a previous service left unfinished are resumed.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { ConfigError, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { startDemo } from './demo.js';
import { serveControl } from '../runs/control.js';
import { RunService } from '../runs/service.js';
import { Schedules } from '../runs/schedules.js';

export interface ServeOptions {
  dir: string;
  db?: string;
  port: string;
  ui: boolean;
  sandbox?: boolean;
  sqlTimeout?: string;
}

export function serveCommand(log: Logger): Command {
  return new Command('serve')
    .description(
      'run the sources of a directory on their schedules, take `conversas run`/`stop` requests, and serve the web app; runs left unfinished by a previous service are resumed',
    )
    .option(
      '--dir <dir>',
      'directory of the sources (<dir>/sources/*.json), runs and, by default, the catalog',
      '.',
    )
    .option('--db <file>', 'DuckDB catalog file (default <dir>/conversas.duckdb)')
    .option('--port <n>', 'web app port on 127.0.0.1 (0 picks a free one)', '8790')
    .option('--no-ui', 'no web app: schedules and run requests only')
    .option('--sandbox', 'also start the API simulator; sources may use its URL, token and key')
    .option('--sql-timeout <seconds>', "how long a query of the web app's SQL box may run", '30')
    .action((opts: ServeOptions) => serveDirectory(opts, log));
}

/** The service of a directory until SIGINT/SIGTERM (`conversas serve`, and `conversas ui`, its web face). */
export async function serveDirectory(opts: ServeOptions, log: Logger): Promise<void> {
  const port = Number(opts.port);
  const sqlTimeout = Number(opts.sqlTimeout ?? 30);
  if (!(sqlTimeout > 0)) throw new ConfigError('--sql-timeout must be a number of seconds > 0');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError('--port must be a port number');
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = opts.db ?? join(dir, 'conversas.duckdb');
  const demo = opts.sandbox ? await startDemo() : undefined;
  const service: RunService = new RunService({
    root: dir,
    db,
    log,
    // Only a source made to try the sandbox runs on it, with this launch's URL, token and key.
    ...(demo ? { sandbox: demo.overrides } : {}),
  });
  const control = await serveControl(dir, service);
  const schedules = new Schedules(service, log);
  let ui: { launchUrl: string; close(): Promise<void> } | undefined;
  try {
    if (opts.ui) {
      const { startUi } = await import('../ui/server.js');
      ui = await startUi({
        dir,
        db,
        port,
        log,
        service,
        sqlTimeoutMs: sqlTimeout * 1000,
        ...(demo
          ? {
              // A source that does not tick "use the sandbox" is a real one: it gets none of the sandbox's settings.
              sandboxCredentials: demo.overrides,
            }
          : {}),
      }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE')
          throw new UserError(`port ${port} is in use: pass another --port (0 picks a free one)`);
        throw error;
      });
    }
    if (demo) process.stderr.write(`${demo.notice}\n`);
    schedules.start();
    await service.recover();
    process.stdout.write(
      `conversas serve: ${dir}` +
        (ui ? `; open ${ui.launchUrl}\n(the link carries this launch's token)` : '') +
        `\n(SIGINT/SIGTERM stops; runs going on are interrupted and resumed at the next start)\n`,
    );
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    log.info('stopping: runs going on are interrupted, to resume at the next start');
  } finally {
    schedules.stop();
    await service.shutdown();
    await control.close();
    await ui?.close();
    await demo?.sandbox.close();
  }
}
