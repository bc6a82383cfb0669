/** src/tap/check.ts (`--test`): reads through the stream definitions, so every envelope a sync takes works. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { DAY, dayOf, expectNoSecrets, runCli, TAP_BIN } from '../helpers.js';

let standard: Sandbox;
let alternate: Sandbox;
const dir = mkdtempSync(join(tmpdir(), 'conversas-check-'));

beforeAll(async () => {
  [standard, alternate] = await Promise.all([
    startSandbox({ world: { seed: 41, contacts: 8 }, requestsPerMinute: 0 }),
    startSandbox({ world: { seed: 42, contacts: 8, envelopes: 'alternate' }, requestsPerMinute: 0 }),
  ]);
});
afterAll(() => Promise.all([standard.close(), alternate.close()]));

function configFile(sb: Sandbox, extra: Record<string, unknown>): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      access_token: sb.token,
      api_url: sb.url,
      start_date: dayOf(sb.world.now - 150 * DAY),
      retry_backoff_seconds: 0.01,
      ...extra,
    }),
  );
  return path;
}

describe('--test', () => {
  for (const [name, sb] of [
    ['the standard envelopes', () => standard],
    ['the alternate envelopes ({data: [...]}, `id` instead of `_id`)', () => alternate],
  ] as const) {
    it(`checks the token and decrypts one history page with ${name}`, async () => {
      const s = sb();
      s.resetCounters();
      const res = await runCli(TAP_BIN, [
        '--config',
        configFile(s, { private_key_jwk: JSON.stringify(s.jwk.current) }),
        '--test',
      ]);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).toContain('token accepted');
      expect(res.stderr).toContain('private key decrypts messages_history');
      expect(res.stderr).not.toContain('no contacts record to try it on');
      // One page of contacts, one page of history: as few requests as possible.
      expect(s.count('/v2/customers')).toBe(1);
      expect(s.count('/v2/messages/history')).toBe(1);
      expectNoSecrets(s, res.stdout, res.stderr);
    });
  }

  it('fails in one line when the key cannot read the history (a rotated key)', async () => {
    const res = await runCli(TAP_BIN, [
      '--config',
      configFile(alternate, { private_key_jwk: JSON.stringify(alternate.jwk.rotated) }),
      '--test',
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n').at(-1)).toMatch(
      /^tap-rdstation-conversas: the private key cannot read messages_history: encrypted with key conversas-42-2026-key-2, not the configured key conversas-42-2025-key-1/,
    );
    expectNoSecrets(alternate, res.stdout, res.stderr);
  });

  it('without start_date checks the token and says what the key check needs', async () => {
    const res = await runCli(TAP_BIN, [
      '--config',
      configFile(standard, { start_date: '', private_key_jwk: JSON.stringify(standard.jwk.current) }),
      '--test',
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('set start_date to try it on messages_history');
  });
});
