/** `conversas sandbox`: the API simulator on a port, for manual use with the tap or any HTTP client. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ConfigError, UserError } from '../errors.js';
import { startSandbox } from '../sandbox/index.js';

/** The tap's command line, beside this one (dist/cli/tap.js). */
const TAP_CLI = fileURLToPath(new URL('./tap.js', import.meta.url));

export function sandboxCommand(): Command {
  return new Command('sandbox')
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
    .option(
      '--config-out <file>',
      'where to write a tap config for it (URL, token, key, start date)',
      './sandbox-config.json',
    )
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
      }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE')
          throw new UserError(`port ${opts['port']} is in use: pass another --port (0 picks a free one)`);
        throw error;
      });
      writeFileSync(opts['jwkOut']!, JSON.stringify(sandbox.jwk.current, null, 2), { mode: 0o600 });
      const start = new Date(sandbox.world.now - 90 * 86_400_000).toISOString().slice(0, 10);
      const config = {
        api_url: sandbox.url,
        access_token: sandbox.token,
        private_key_jwk: sandbox.jwk.current,
        start_date: start,
        requests_per_minute: num('rpm') > 0 ? Math.max(1, num('rpm') - 3) : 6000,
      };
      writeFileSync(opts['configOut']!, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
      process.stdout.write(
        `sandbox listening at ${sandbox.url}\naccess_token: ${sandbox.token}\n` +
          `private JWK written to ${opts['jwkOut']}; a tap config to ${opts['configOut']}\n` +
          // The tap beside this command, by its full path: the line works from any folder (npx would look
          // for the package on the registry outside this repository).
          `try: ${process.execPath} ${TAP_CLI} --config ${resolve(opts['configOut']!)} --test\nCtrl-C stops it.\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sandbox.close();
    });
}
