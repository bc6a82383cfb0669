/**
 * The pictures (server-rendered SVG, in Chromium): the catalog's data model names each join, and the messages
 * table's chart counts what the table holds, per day and sender (checked against SQL over the same table).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { SourceDirectory } from '../../src/pipeline/directory.js';
import type { RunRecord } from '../../src/runs/records.js';
import { RunService } from '../../src/runs/service.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startUi, type Ui } from '../../src/ui/server.js';
import { DAY, dayOf, queryCatalog, onlyStreams, sandboxOverrides } from '../helpers.js';

describe('pictures', () => {
  let sb: Sandbox;
  let ui: Ui;
  let db: string;
  let browser: Browser;
  let finished: RunRecord;
  beforeAll(async () => {
    sb = await startSandbox({
      world: { seed: 83, contacts: 25, reports: 40, reportDays: 30 },
      requestsPerMinute: 0,
    });
    const dir = mkdtempSync(join(tmpdir(), 'ui-charts-'));
    db = join(dir, 'conversas.duckdb');
    new SourceDirectory(dir).save({
      name: 'people',
      config: sandboxOverrides(sb, dayOf(sb.world.now - 30 * DAY), dayOf(sb.world.now - DAY)),
      streams: onlyStreams('contacts', 'messages', 'reports', 'employees'),
    });
    const service = new RunService({ root: dir, db, log: silentLogger });
    service.start('people');
    finished = (await service.finished('people'))!;
    expect(finished.status).toBe('succeeded');
    expect(finished.timeline!.length).toBeGreaterThanOrEqual(2);
    ui = await startUi({ dir, db, log: silentLogger, service });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ui?.close();
    await sb?.close();
  });

  it('draws the data model and the messages per day by sender, as the tables hold them', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(ui.launchUrl);
    await page.goto(`${ui.url}catalog`);
    const model = await page.locator('figure.model svg desc').textContent();
    expect(model).toContain('raw.messages joins raw.contacts on customer_id = id.');
    expect(model).toContain('raw.reports joins raw.contacts on customer.id = id.');
    expect(model).toMatch(/Team and automation: raw\.employees/);
    await page.click('figure.model a:has-text("raw.messages")');
    await page.waitForURL(/catalog\/raw\/messages$/);

    const truth = await queryCatalog(
      db,
      `SELECT created_at::DATE::VARCHAR AS day, coalesce(sent_by::VARCHAR, '(none)') AS sender, count(*)::INT AS n FROM raw.messages GROUP BY ALL`,
    );
    const total = truth.reduce((n, r) => n + Number(r['n']), 0);
    expect(total).toBeGreaterThan(0);
    const desc = await page.locator('figure.chart svg desc').textContent();
    expect(desc).toContain(`${total} rows over ${new Set(truth.map((r) => r['day'])).size} day(s)`);
    // One bar segment per day and sender, each saying its count.
    const segments = await page.locator('figure.chart svg rect title').allTextContents();
    expect(segments.sort()).toEqual(
      truth.map((r) => `${String(r['day'])} ${String(r['sender'])}: ${String(r['n'])}`).sort(),
    );
  }, 60_000);

  it('shows the service layer; conversation_days draws attendances opened per day and the median first response', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(ui.launchUrl);
    await page.goto(`${ui.url}catalog`);
    const model = await page.locator('figure.model svg desc').textContent();
    expect(model).toMatch(
      /Metrics \(views\): service\.attendances, service\.contacts_activity, service\.conversation_days/,
    );
    await page.click('section.layer a:has-text("conversation_days")');
    await page.waitForURL(/catalog\/service\/conversation_days$/);
    // What its rows mean, from the model's own SQL file.
    expect(await page.locator('p.about').textContent()).toContain('one row per day (in the source');
    const opened = await queryCatalog(
      db,
      `SELECT day::VARCHAR AS day, coalesce(channel, '(none)') AS c, sum(attendances_opened)::INT AS n FROM service.conversation_days GROUP BY ALL HAVING n > 0`,
    );
    expect(opened.reduce((n, r) => n + Number(r['n']), 0)).toBe(
      Number((await queryCatalog(db, `SELECT count(*)::INT AS n FROM raw.reports`))[0]!['n']),
    );
    const bars = await page.locator('figure.chart svg rect title').allTextContents();
    expect(bars.sort()).toEqual(
      opened.map((r) => `${String(r['day'])} ${String(r['c'])}: ${String(r['n'])}`).sort(),
    );
    // The day's median over its attendances (not a median of the per-channel medians).
    const medians = await queryCatalog(
      db,
      `SELECT opened_at::DATE::VARCHAR AS day, median(first_response_seconds) AS s FROM service.attendances WHERE first_response_seconds IS NOT NULL GROUP BY 1`,
    );
    expect(medians.length).toBeGreaterThan(0);
    const points = await page.locator('figure.chart svg circle title').allTextContents();
    expect(points.map((p) => p.split(':')[0]).sort()).toEqual(medians.map((r) => String(r['day'])).sort());
    const hours = medians.some((r) => Number(r['s']) > 3 * 3600);
    for (const r of medians) {
      const value = Number(r['s']) / (hours ? 3600 : 60);
      expect(points).toContain(
        `${String(r['day'])}: ${value >= 10 ? value.toFixed(0) : value.toFixed(1)} ${hours ? 'h' : 'min'}`,
      );
    }
    if (process.env['SCREENSHOTS'] === '1') {
      await page.setViewportSize({ width: 1000, height: 820 });
      await page.screenshot({
        path: join(import.meta.dirname, '../../docs/screenshots/conversation-days.png'),
      });
    }
  }, 60_000);

  it("draws a run's timeline: requests a minute against the budget, and records per stream", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(ui.launchUrl);
    await page.goto(`${ui.url}runs/people`);
    const desc = await page.locator('figure.timeline svg desc').first().textContent();
    // The run's own counts: every request it sent, as its record counts them.
    expect(desc).toContain(`${finished.requests} requests in `);
    expect(desc).toMatch(
      /^\d+ requests in [\d.]+ min \(\d+ a minute against a budget of 1000000\); 0 answered 429; records: /,
    );
    expect(desc).toMatch(/contacts 25/);
    expect(await page.locator('figure.timeline svg polyline').count()).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
