/** The token and every part of the JWK never appear in any output or file we write, whatever happens. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import {
  CONVERSAS_BIN,
  DAY,
  dayOf,
  expectNoSecrets,
  runCli,
  secretsOf,
  TAP_BIN,
  type CliResult,
} from '../helpers.js';

let sb: Sandbox;
let dir: string;
const outputs: CliResult[] = [];
const file = (name: string, value: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
};
const tapRun = async (args: string[], env: Record<string, string> = {}, input?: string) => {
  const res = await runCli(TAP_BIN, args, env, input);
  outputs.push(res);
  return res;
};

beforeAll(async () => {
  sb = await startSandbox({ world: { seed: 61, contacts: 30 }, requestsPerMinute: 0 });
  dir = mkdtempSync(join(tmpdir(), 'secrets-'));
});
afterAll(() => sb.close());

describe('secrets never leak', () => {
  const good = () => ({
    access_token: sb.token,
    api_url: sb.url,
    private_key_jwk: JSON.stringify(sb.jwk.current),
    start_date: dayOf(sb.world.now - 30 * DAY),
    retry_backoff_seconds: 0.01,
    requests_per_minute: 100_000,
  });

  it('through every tap scenario: about, discover, test, sync, and each kind of failure', async () => {
    const config = file('good.json', good());
    expect((await tapRun(['--config', config])).code).toBe(0);
    await tapRun(['--config', config, '--discover']);
    await tapRun(['--config', config, '--test']);
    await tapRun(['--about']);
    await tapRun(['--config', 'ENV', '--test'], {
      TAP_RDSTATION_CONVERSAS_ACCESS_TOKEN: sb.token,
      TAP_RDSTATION_CONVERSAS_API_URL: sb.url,
    });
    // The sandbox echoes a refused token in its error body: it must come out redacted.
    const wrong = await tapRun([
      '--config',
      file('wrong.json', { ...good(), access_token: `${sb.token}zz` }),
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/invalid token: \[REDACTED\]/);
    await tapRun(['--config', file('route.json', { ...good(), api_url: `${sb.url}/x` })]);
    await tapRun([
      '--config',
      file('jwk.json', { ...good(), private_key_jwk: JSON.stringify(sb.jwk.current).slice(0, -5) }),
    ]);
    await tapRun([
      '--config',
      file('jwkbad.json', { ...good(), private_key_jwk: { ...sb.jwk.current, kty: 'oct' } }),
    ]);
    await tapRun(['--config', file('date.json', { ...good(), start_date: sb.token })]);
    await tapRun(['--config', config, '--state', file('state.json', { bookmarks: 'nope' })]);
    sb.control.faults = { truncated: 0.3, serverErrors: 0.2 };
    try {
      await tapRun(['--config', file('faults.json', { ...good(), max_retry_seconds: 1 })], {
        LOG_LEVEL: 'debug',
      });
    } finally {
      sb.control.faults = {};
    }
    for (const out of outputs) expectNoSecrets(sb, out.stdout, out.stderr);
    expect(outputs.filter((o) => o.code !== 0).length).toBeGreaterThanOrEqual(6);
  });

  it('through the pipeline: summary, progress, tables, versions and every file of the catalog', async () => {
    const db = join(dir, 'catalog.duckdb');
    const source = file('conversas.json', { description: 'segredos', config: good() });
    const sync = await runCli(CONVERSAS_BIN, ['sync', '--source', source, '--db', db]);
    expect(sync.code, sync.stderr).toBe(0);
    const tables = await runCli(CONVERSAS_BIN, ['tables', '--db', db]);
    const versions = await runCli(CONVERSAS_BIN, ['versions', 'contacts', '--db', db]);
    const state = await runCli(CONVERSAS_BIN, ['query', 'SELECT * FROM _conversas.state', '--db', db]);
    expectNoSecrets(sb, sync.stdout, sync.stderr, tables.stdout, versions.stdout, state.stdout);
    for (const name of readdirSync(dir).filter((f) => f.startsWith('catalog.duckdb'))) {
      const bytes = readFileSync(join(dir, name));
      for (const secret of secretsOf(sb))
        expect(bytes.includes(Buffer.from(secret)), `${name} holds a secret`).toBe(false);
    }
  });
});
