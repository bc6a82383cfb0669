/**
 * The tap's output in PostgreSQL, the most common Singer destination: every RECORD of a sandbox sync goes into
 * a jsonb and a text column of Debian's server (a cluster of the test's own), without error. The sandbox sends
 * system events with raw control characters, U+0000 among them, which PostgreSQL's text and jsonb cannot hold:
 * the tap replaces each with U+FFFD (src/singer/nul.ts), and keep_nul keeps them (for targets that can).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { replaceNul } from '../../src/singer/nul.js';
import { CONVERSAS_BIN, DAY, dayOf, queryCatalog, runCli, TAP_BIN } from '../helpers.js';
import { startPgCluster, type PgCluster } from '../pg-cluster.js';

const CONTACTS = 60;
let sb: Sandbox;
let cluster: PgCluster;
let db: pg.Client;
let dir: string;

beforeAll(async () => {
  sb = await startSandbox({ world: { seed: 23, contacts: CONTACTS, reports: 80 }, requestsPerMinute: 0 });
  dir = mkdtempSync(join(tmpdir(), 'conversas-pg-'));
  cluster = startPgCluster();
  db = await cluster.client();
}, 180_000);
afterAll(async () => {
  await db?.end();
  cluster?.stop();
  await sb?.close();
});

/** The tap's stdout for a sync of every stream (history and messages included). */
async function tapOutput(extra: Record<string, unknown> = {}): Promise<string> {
  const config = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      access_token: sb.token,
      api_url: sb.url,
      private_key_jwk: sb.jwk.current,
      start_date: dayOf(sb.world.now - 60 * DAY),
      end_date: dayOf(sb.world.now - DAY),
      requests_per_minute: 1_000_000,
      ...extra,
    }),
  );
  const run = await runCli(TAP_BIN, ['--config', config], { LOG_LEVEL: 'warn' });
  expect(run.code, run.stderr).toBe(0);
  return run.stdout;
}

const records = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{"type":"RECORD"'))
    .map((l) => JSON.parse(l) as { stream: string; record: Record<string, unknown> });

describe('PostgreSQL as the target', () => {
  it('takes every RECORD as jsonb and as text; U+0000 arrives as U+FFFD', async () => {
    const w = sb.world;
    // The world sends U+0000 (else this test would prove nothing).
    const window = { from: w.now - 60 * DAY, to: w.now };
    const withNul = Array.from({ length: CONTACTS }, (_, i) => i)
      .filter((i) => !w.variant(i).rotatedKey)
      .flatMap((i) => w.expectedMessages(i, window))
      .filter((m) => m.content.includes('\u0000'));
    expect(withNul.length).toBeGreaterThan(0);

    const stdout = await tapOutput();
    expect(stdout.includes('\\u0000')).toBe(false);
    const all = records(stdout);
    expect(all.length).toBeGreaterThan(CONTACTS);
    await db.query('CREATE TABLE records (stream text NOT NULL, record jsonb NOT NULL, line text NOT NULL)');
    await db.query('CREATE TABLE messages (message_key text PRIMARY KEY, content text)');
    for (let i = 0; i < all.length; i += 200) {
      const batch = all.slice(i, i + 200);
      const values = batch.flatMap((r) => [r.stream, JSON.stringify(r.record), JSON.stringify(r.record)]);
      const rows = batch.map((_, j) => `($${3 * j + 1}, $${3 * j + 2}::jsonb, $${3 * j + 3})`).join(', ');
      await db.query(`INSERT INTO records VALUES ${rows}`, values);
    }
    const messages = all.filter((r) => r.stream === 'messages');
    for (const m of messages)
      await db.query('INSERT INTO messages VALUES ($1, $2)', [m.record['message_key'], m.record['content']]);
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM records');
    expect(Number(rows[0]!.n)).toBe(all.length);
    // Each message that had U+0000 is there, with U+FFFD in its place.
    for (const m of withNul) {
      const found = await db.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE content = $1', [
        m.content.replaceAll('\u0000', '\ufffd'),
      ]);
      expect(Number(found.rows[0]!.n), JSON.stringify(m.content)).toBeGreaterThan(0);
    }
  });

  it('keep_nul keeps U+0000, and PostgreSQL refuses it (what the default spares a target)', async () => {
    const stdout = await tapOutput({ keep_nul: true });
    const kept = records(stdout).filter(
      (r) => r.stream === 'messages' && String(r.record['content']).includes('\u0000'),
    );
    expect(kept.length).toBeGreaterThan(0);
    await expect(db.query('SELECT $1::jsonb', [JSON.stringify(kept[0]!.record)])).rejects.toThrow(
      /unsupported Unicode escape sequence|cannot be converted to text/,
    );
    await expect(db.query('SELECT $1::text', [kept[0]!.record['content']])).rejects.toThrow(
      /invalid byte sequence for encoding "UTF8": 0x00/,
    );
    // The catalog holds none either, whatever the tap it loads from sends.
    const catalog = join(dir, 'kept.duckdb');
    const load = await runCli(CONVERSAS_BIN, ['load', '--db', catalog], {}, stdout);
    expect(load.code, load.stderr).toBe(0);
    const [nul] = await queryCatalog(
      catalog,
      `SELECT count(*) FILTER (WHERE contains(content, chr(0))) AS nul, count(*) FILTER (WHERE contains(content, chr(65533))) AS fffd FROM raw.messages`,
    );
    expect(Number(nul!['nul'])).toBe(0);
    expect(Number(nul!['fffd'])).toBeGreaterThan(0);
  });
});

describe('replaceNul', () => {
  it('replaces the escape, not an escaped backslash followed by u0000, and raw NUL too', () => {
    expect(replaceNul(JSON.stringify({ a: 'x\u0000y\u0000\u0000' }))).toBe('{"a":"x\\ufffdy\\ufffd\\ufffd"}');
    // A text holding a backslash and "u0000" is not a NUL: left alone.
    expect(replaceNul(JSON.stringify({ a: '\\u0000' }))).toBe('{"a":"\\\\u0000"}');
    expect(replaceNul(JSON.stringify({ a: '\\\u0000' }))).toBe('{"a":"\\\\\\ufffd"}');
    expect(replaceNul('{"a":"raw\u0000"}')).toBe('{"a":"raw\ufffd"}');
    const plain = '{"a":"nothing to do"}';
    expect(replaceNul(plain)).toBe(plain);
  });
});
