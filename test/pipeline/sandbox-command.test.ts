/** `conversas sandbox`: serves the simulator for manual use and says how to reach it. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONVERSAS_BIN } from '../helpers.js';

describe('conversas sandbox', () => {
  it('prints the URL and token, writes the private JWK, answers real requests, stops on SIGINT', async () => {
    const jwkPath = join(mkdtempSync(join(tmpdir(), 'sandbox-cli-')), 'jwk.json');
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
    child.kill('SIGINT');
    expect(await new Promise((r) => child.on('close', r))).toBe(0);
  });
});
