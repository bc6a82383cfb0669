/** `conversas ui`: the service of a directory with its web app (the same as `conversas serve`). */
import { Command } from 'commander';
import { serveDirectory } from './serve.js';
import type { Logger } from '../log.js';

export function uiCommand(log: Logger): Command {
  return new Command('ui')
    .description(
      "serve the web app on 127.0.0.1 (sources: add in five steps, run now, stop, history; the catalog) with the directory's service: the same as conversas serve",
    )
    .option('--port <n>', 'port (0 picks a free one)', '8790')
    .option(
      '--dir <dir>',
      'directory of the sources (<dir>/sources/*.json), runs and, by default, the catalog',
      '.',
    )
    .option('--db <file>', 'DuckDB catalog file (default <dir>/conversas.duckdb)')
    .option('--sandbox', 'also start the API simulator; new sources can use its token and key')
    .option('--sql-timeout <seconds>', "how long a query of the web app's SQL box may run", '30')
    .action((opts: { port: string; dir: string; db?: string; sandbox?: boolean; sqlTimeout?: string }) =>
      serveDirectory({ ...opts, ui: true }, log),
    );
}
