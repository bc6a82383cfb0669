/** A stdout that goes away or fills up: one line (or none), the right exit code, never a stack trace. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { CONVERSAS_BIN, DAY, dayOf, TAP_BIN } from '../helpers.js';

let sb: Sandbox;
let dir: string;

/** Runs a shell pipeline; resolves with the first command's exit code (PIPESTATUS) and its stderr. */
function pipeline(command: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      'bash',
      [
        '-c',
        `${command} 2>"${dir}/err"; echo "\${PIPESTATUS[0]}" > "${dir}/code"; cat "${dir}/err" >&2; cat "${dir}/code" >&2`,
      ],
      {
        cwd: dir,
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', () => {
      const lines = stderr.trimEnd().split('\n');
      resolve({ code: Number(lines.pop()), stderr: lines.join('\n') });
    });
  });
}

beforeAll(async () => {
  sb = await startSandbox({ world: { seed: 71, contacts: 300 }, requestsPerMinute: 0 });
  dir = mkdtempSync(join(tmpdir(), 'conversas-stdout-'));
});
afterAll(() => sb.close());

describe('stdout', () => {
  it('conversas query … | head -1: the first row, exit 0, nothing on stderr', async () => {
    const db = join(dir, 'q.duckdb');
    const sync = await pipeline(`node ${CONVERSAS_BIN} sync --sandbox --contacts 5 --db ${db} > /dev/null`);
    expect(sync.code, sync.stderr).toBe(0);
    const res = await pipeline(
      `node ${CONVERSAS_BIN} query "SELECT * FROM range(200000)" --db ${db} | head -1 > /dev/null`,
    );
    expect(res).toEqual({ code: 0, stderr: '' });
  });

  it.each(['head -1', 'head -0'])(
    'the tap piped into %s: one line saying the reader went away, exit 1',
    async (head) => {
      const config = join(dir, 'tap.json');
      writeFileSync(
        config,
        JSON.stringify({
          access_token: sb.token,
          api_url: sb.url,
          start_date: dayOf(sb.world.now - 60 * DAY),
          requests_per_minute: 1_000_000,
        }),
      );
      const res = await pipeline(`LOG_LEVEL=warn node ${TAP_BIN} --config ${config} | ${head} > /dev/null`);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(
        /^tap-rdstation-conversas: the reader of stdout went away \(did the target exit\?\); stopping/,
      );
      expect(res.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('a full disk after the sync is committed: exit 0, and a line saying the data is in', async () => {
    const db = join(dir, 'full.duckdb');
    const res = await pipeline(
      `LOG_LEVEL=warn node ${CONVERSAS_BIN} sync --sandbox --contacts 5 --db ${db} > /dev/full`,
    );
    expect(res.code).toBe(0);
    expect(res.stderr.trim().split('\n').at(-1)).toBe(
      'conversas: cannot write to stdout (ENOSPC); the sync is committed',
    );
  });
});
