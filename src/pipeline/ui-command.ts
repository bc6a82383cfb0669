/** `conversas ui`: the web app on 127.0.0.1 (src/ui/), over a directory of source files and its catalog. */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { ConfigError, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { startDemo } from './demo.js';

export function uiCommand(log: Logger): Command {
  return new Command('ui')
    .description(
      'serve the web app on 127.0.0.1: sources (add in five steps, run now, schedule) and the catalog',
    )
    .option('--port <n>', 'port (0 picks a free one)', '8790')
    .option(
      '--dir <dir>',
      'directory of the sources (<dir>/sources/*.json) and, by default, the catalog',
      '.',
    )
    .option('--db <file>', 'DuckDB catalog file (default <dir>/conversas.duckdb)')
    .option('--sandbox', 'also start the API simulator; new sources can use its token and key')
    .action(async (opts: { port: string; dir: string; db?: string; sandbox?: boolean }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new ConfigError('--port must be a port number');
      const dir = resolve(opts.dir);
      mkdirSync(dir, { recursive: true });
      const demo = opts.sandbox ? await startDemo() : undefined;
      // Loaded here, not at start-up: every other conversas command would pay for the web server and its pages.
      const { startUi } = await import('../ui/server.js');
      const ui = await startUi({
        dir,
        db: opts.db ?? join(dir, 'conversas.duckdb'),
        port,
        log,
        ...(demo
          ? {
              defaults: {
                api_url: demo.sandbox.url,
                requests_per_minute: demo.overrides['requests_per_minute'],
              },
              sandboxCredentials: {
                access_token: demo.overrides['access_token'],
                private_key_jwk: demo.overrides['private_key_jwk'],
              },
            }
          : {}),
      }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE')
          throw new UserError(`port ${port} is in use: pass another --port (0 picks a free one)`);
        throw error;
      });
      if (demo) process.stderr.write(`${demo.notice}\n`);
      process.stdout.write(
        `conversas ui: open ${ui.launchUrl}\n(the link carries this launch's token; Ctrl-C stops the app)\n`,
      );
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await ui.close();
      await demo?.sandbox.close();
    });
}
