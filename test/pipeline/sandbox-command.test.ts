/** `conversas sandbox`: serves the simulator for manual use and says how to reach it. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONVERSAS_BIN, runCli, TAP_BIN } from '../helpers.js';

describe('conversas sandbox', () => {
  it('prints the URL and token, writes the private JWK, answers real requests, stops on SIGINT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
    const jwkPath = join(dir, 'jwk.json');
    const configPath = join(dir, 'sandbox-config.json');
    const child = spawn(process.execPath, [
      CONVERSAS_BIN,
      'sandbox',
      '--port',
      '0',
      '--contacts',
      '12',
      '--rpm',
      '0',
      '--jwk-out',
      jwkPath,
      '--config-out',
      configPath,
    ]);
    let stdout = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('Ctrl-C')) resolve();
      });
    });
    const url = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
    const token = /access_token: (\S+)/.exec(stdout)![1]!;
    const res = await fetch(`${url}/v2/customers?limit=100`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as unknown[]).length).toBe(12);
    const jwk = JSON.parse(readFileSync(jwkPath, 'utf8')) as { kty: string; d: string };
    expect(jwk.kty).toBe('RSA');
    expect(jwk.d.length).toBeGreaterThan(100);
    expect(statSync(jwkPath).mode & 0o777).toBe(0o600);
    // The line it suggests works as printed from any folder (full paths, no shell-specific syntax).
    const tried = /^try: (\S+) (\S+) --config (\S+) --test$/m.exec(stdout)!;
    expect(tried[1]).toBe(process.execPath);
    expect(tried[2]).toBe(TAP_BIN);
    expect(tried[3]).toBe(configPath);
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    const check = await runCli(tried[2]!, ['--config', tried[3]!, '--test']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toContain('private key decrypts messages_history');
    child.kill('SIGINT');
    expect(await new Promise((r) => child.on('close', r))).toBe(0);
  });

  it('a port in use: one line, no stack trace', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = String((busy.address() as AddressInfo).port);
    const res = await runCli(CONVERSAS_BIN, [
      'sandbox',
      '--port',
      port,
      '--jwk-out',
      join(tmpdir(), 'unused.json'),
    ]);
    busy.close();
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`conversas: port ${port} is in use: pass another --port (0 picks a free one)\n`);
  });

  it('a source made to try the sandbox, run by hand: one line that says where it runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-source-'));
    const file = join(dir, 'trial.json');
    writeFileSync(file, JSON.stringify({ name: 'trial', sandbox: true, config: {}, streams: {} }));
    for (const command of ['sync', 'plan']) {
      const res = await runCli(CONVERSAS_BIN, [command, '--source', file, '--db', join(dir, 'c.duckdb')]);
      expect(res.code, command).not.toBe(0);
      expect(res.stderr).toBe(
        `conversas: ${file} was made to try the sandbox and keeps no URL, token or key: run it under conversas serve --sandbox (or conversas ui --sandbox), which gives it the sandbox's, or pass a real account's settings with --config\n`,
      );
    }
  });
});
