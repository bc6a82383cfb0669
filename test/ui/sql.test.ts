/**
 * The web app's SQL box, bounded (in Chromium, the app as its own process so its memory is its own): ten million
 * rows come back as the first 1,000 with a notice while another request is answered at once, the app stays under
 * 400 MB, a query past the time limit is stopped with a red error, a body over 1 MB is refused, Ctrl+Enter runs
 * the box, and its example names a table that exists. Two apps on two ports in one browser both stay logged in.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONVERSAS_BIN, runCli } from '../helpers.js';

interface App {
  child: ChildProcessWithoutNullStreams;
  launchUrl: string;
  url: string;
  port: number;
}

function serve(dir: string, ...args: string[]): Promise<App> {
  const child = spawn(process.execPath, [CONVERSAS_BIN, 'ui', '--dir', dir, '--port', '0', ...args]);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      const launch = /open (http:\/\/127\.0\.0\.1:(\d+)\/\?token=\S+)/.exec(output);
      if (launch)
        resolve({
          child,
          launchUrl: launch[1]!,
          url: launch[1]!.replace(/\?token=.*$/, ''),
          port: Number(launch[2]),
        });
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => reject(new Error(`the app ended (${code}): ${output}`)));
  });
}

/** A request as the app's own page makes it (its cookie, Host and Origin), timed. */
function ask(
  app: App,
  cookie: string,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; text: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: app.port,
        method,
        path,
        headers: {
          Cookie: cookie,
          Origin: `http://127.0.0.1:${app.port}`,
          'Content-Type': 'application/json',
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, ms: Date.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const peakRssMb = (pid: number): number =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

describe('the SQL box', () => {
  let browser: Browser;
  let context: BrowserContext;
  let app: App;
  let other: App;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ui-sql-'));
    const synced = await runCli(CONVERSAS_BIN, [
      'sync',
      '--sandbox',
      '--contacts',
      '20',
      '--db',
      join(dir, 'conversas.duckdb'),
    ]);
    expect(synced.code, synced.stderr).toBe(0);
    app = await serve(dir, '--sql-timeout', '3');
    other = await serve(mkdtempSync(join(tmpdir(), 'ui-other-')));
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    context.setDefaultTimeout(30_000);
  });
  afterAll(async () => {
    await browser?.close();
    for (const a of [app, other]) a?.child.kill('SIGTERM');
  });

  it('shows the first 1,000 of ten million rows while the app keeps answering, within its memory', async () => {
    const page = await context.newPage();
    await page.goto(app.launchUrl);
    const cookie = (await context.cookies(app.url)).map((c) => `${c.name}=${c.value}`).join('; ');
    await page.goto(`${app.url}catalog`);
    // The example names a table that exists, and runs.
    expect(await page.inputValue('#sql')).toMatch(/^SELECT \* FROM raw\.\w+ LIMIT 10$/);
    await page.click('[data-action=query]');
    await page.locator('[data-answer=query] .notice').waitFor();
    expect(await page.getAttribute('[data-answer=query]', 'class')).not.toContain('error');

    await page.fill('#sql', 'SELECT * FROM range(10000000)');
    await page.press('#sql', 'Control+Enter'); // runs it
    const meanwhile = await ask(app, cookie, 'GET', '/');
    expect(meanwhile.status).toBe(200);
    expect(meanwhile.ms).toBeLessThan(1000);
    const notice = page.locator('[data-answer=query] .notice', { hasText: /first 1,000 rows shown/ });
    await notice.waitFor();
    expect(await page.locator('[data-answer=query] table.rows tbody tr').count()).toBe(1000);
    expect(peakRssMb(app.child.pid!)).toBeLessThan(400);

    // Past the time limit (3 s here), stopped, in red.
    await page.fill('#sql', 'SELECT count(*) FROM range(1000000000000) a');
    await page.click('[data-action=query]');
    await page.locator('[data-answer=query]', { hasText: /stopped after 3 s/ }).waitFor();
    expect(await page.getAttribute('[data-answer=query]', 'class')).toContain('error');

    // A body over 1 MB is refused.
    const big = await ask(app, cookie, 'POST', '/api/query', JSON.stringify({ sql: 'x'.repeat(2_000_000) }));
    expect(big.status).toBe(413);
    expect(big.text).toMatch(/larger than 1 MB/);
    await page.close();
  }, 120_000);

  it('two apps on two ports in one browser both stay logged in', async () => {
    const page = await context.newPage();
    await page.goto(app.launchUrl);
    await page.goto(other.launchUrl);
    for (const a of [app, other]) {
      const res = await page.goto(a.url);
      expect(res?.status(), a.url).toBe(200);
      expect(await page.title()).toMatch(/Sources/);
    }
    await page.close();
  }, 60_000);
});
