/**
 * Runs in the web app, in Chromium, with `conversas serve` as a separate process and a sandbox budget that makes
 * a run last about half a minute: a reload and a second tab show the running run with live progress; Stop ends
 * it within 5 s with the tables unchanged and the next run resumes; the service SIGKILLed mid-run and started
 * again finishes the run by itself, and the page shows it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceDirectory } from '../../src/pipeline/directory.js';
import { RunStore } from '../../src/runs/records.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { CONVERSAS_BIN, DAY, dayOf, queryCatalog, onlyStreams, sandboxOverrides } from '../helpers.js';

interface Service {
  child: ChildProcessWithoutNullStreams;
  launchUrl: string;
  url: string;
}

/** `conversas serve` with its web app on a free port; resolves once it prints its URL. */
function serve(dir: string): Promise<Service> {
  const child = spawn(process.execPath, [CONVERSAS_BIN, 'serve', '--dir', dir, '--port', '0']);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      const launch = /open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(output)?.[1];
      if (launch) resolve({ child, launchUrl: launch, url: launch.replace(/\?token=.*$/, '') });
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => reject(new Error(`serve ended (${code}): ${output}`)));
  });
}

const ended = (child: ChildProcessWithoutNullStreams): Promise<number | null> =>
  new Promise((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('close', resolve),
  );

/** The number in "contacts: N records" of the source's live progress, once it is above `above`. */
async function recordsShown(page: Page, stream: string, above: number): Promise<number> {
  const line = page.locator(`[data-progress-for=people] [data-stream=${stream}]`);
  await line.filter({ hasText: new RegExp(`${stream}: [1-9]`) }).waitFor({ timeout: 60_000 });
  for (;;) {
    const n = Number(/: (\d+) records/.exec(await line.innerText())?.[1] ?? 0);
    if (n > above) return n;
    // Evaluated in the page (a function: the app's Content-Security-Policy forbids evaluating strings).
    await page.waitForFunction(
      ({ selector, seen }) => {
        const page = globalThis as unknown as {
          document: { querySelector(s: string): { textContent: string | null } | null };
        };
        const text = page.document.querySelector(selector)?.textContent ?? '';
        return Number(/: (\d+) records/.exec(text)?.[1] ?? 0) > seen;
      },
      { selector: `[data-progress-for=people] [data-stream=${stream}]`, seen: n },
      { timeout: 60_000 },
    );
  }
}

describe('runs in the web app', () => {
  let sb: Sandbox;
  let browser: Browser;
  beforeAll(async () => {
    sb = await startSandbox({ world: { seed: 61, contacts: 90 }, requestsPerMinute: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await sb?.close();
  });

  it('a reload and a second tab follow a running run; Stop ends it in 5 s; a killed service resumes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ui-runs-'));
    const db = join(dir, 'conversas.duckdb');
    const start = dayOf(sb.world.now - 30 * DAY);
    const config = { ...sandboxOverrides(sb, start, dayOf(sb.world.now - DAY)), requests_per_minute: 240 };
    const streams = onlyStreams('contacts', 'messages');
    new SourceDirectory(dir).save({ name: 'people', config, streams });
    const runs = new RunStore(dir);

    let service = await serve(dir);
    const context = await browser.newContext();
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    await page.goto(service.launchUrl);
    await page.click('[data-action=run][data-name=people]');
    const before = await recordsShown(page, 'messages', 0);

    // A reload, and a second tab: both show the run going on, and its progress moving.
    await page.reload();
    expect(await page.isDisabled('[data-action=run][data-name=people]')).toBe(true);
    expect(await page.isVisible('[data-action=stop][data-name=people]')).toBe(true);
    expect(await recordsShown(page, 'messages', before)).toBeGreaterThan(before);
    const other = await context.newPage();
    await other.goto(service.url);
    expect(await recordsShown(other, 'messages', 0)).toBeGreaterThan(0);
    await other.close();

    // Kill the service mid-run; started again, it resumes the run by itself and the page shows it end.
    service.child.kill('SIGKILL');
    await ended(service.child);
    service = await serve(dir);
    await page.goto(service.launchUrl);
    await page.waitForSelector('[data-progress-for=people][data-done]', { timeout: 120_000 });
    expect(await page.getAttribute('[data-progress-for=people]', 'data-done')).toBe('ok');
    const [first] = runs.list('people');
    expect(first).toMatchObject({ status: 'succeeded', resumed: 1 });
    const whole = await queryCatalog(db, 'SELECT count(*)::INT AS n FROM raw.messages');

    // Stop: within 5 s, the tables as they were; the next run resumes it.
    await page.reload();
    await page.click('[data-action=run][data-name=people]');
    await recordsShown(page, 'contacts', 0);
    const asked = Date.now();
    await page.click('[data-action=stop][data-name=people]');
    await page.waitForSelector('[data-progress-for=people][data-done=stopped]');
    expect(Date.now() - asked).toBeLessThan(5000);
    expect(await page.innerText('[data-source=people] .last')).toMatch(/stopped/);
    expect(await queryCatalog(db, 'SELECT count(*)::INT AS n FROM raw.messages')).toEqual(whole);
    await page.reload();
    await page.click('[data-action=run][data-name=people]');
    await page.waitForSelector('[data-progress-for=people][data-done=ok]', { timeout: 120_000 });
    expect(runs.list('people').map((r) => r.status)).toEqual(['succeeded', 'stopped', 'succeeded']);
    expect(runs.readLog(runs.list('people')[0]!)).toMatch(/resuming the interrupted sync/);

    // The history page lists the runs with their logs.
    await page.goto(`${service.url}runs/people`);
    expect(await page.locator('ol.runs li').count()).toBe(3);
    // The newest run's picture is open: how it used the budget, and what it read.
    expect(
      await page.locator('ol.runs li').first().locator('figure.timeline svg desc').textContent(),
    ).toMatch(/against a budget of 240\)/);
    if (process.env['SCREENSHOTS'] === '1')
      await page
        .locator('ol.runs li')
        .nth(2)
        .locator('details')
        .first()
        .evaluate((d) => ((d as unknown as { open: boolean }).open = true))
        .then(() =>
          page
            .locator('ol.runs li')
            .nth(2)
            .locator('figure.timeline')
            .screenshot({ path: join(import.meta.dirname, '../../docs/screenshots/run-timeline.png') }),
        );
    await context.close();
    service.child.kill('SIGTERM');
    expect(await ended(service.child)).toBe(0);
  }, 300_000);
});
