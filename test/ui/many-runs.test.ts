/**
 * Seven runs at once, one Sources page: the page follows every run over one event stream, so the browser's
 * six connections to the app are never all held by streams and the page's own requests (Stop) still go.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { SourceDirectory } from '../../src/pipeline/directory.js';
import { RunService } from '../../src/runs/service.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startUi, type Ui } from '../../src/ui/server.js';
import { DAY, dayOf, onlyStreams, sandboxOverrides } from '../helpers.js';
import { launchChromium } from './chromium.js';

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => `source_${n}`);

describe('many runs at once', () => {
  let sb: Sandbox;
  let ui: Ui;
  let service: RunService;
  let browser: Browser;
  beforeAll(async () => {
    sb = await startSandbox({ world: { seed: 87, contacts: 6 }, requestsPerMinute: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'ui-many-'));
    const db = join(dir, 'conversas.duckdb');
    const sources = new SourceDirectory(dir);
    // One account at 150 requests a minute, shared: seven runs of ~7 requests last about 20 s together.
    const config = {
      ...sandboxOverrides(sb, dayOf(sb.world.now - 30 * DAY), dayOf(sb.world.now - DAY)),
      requests_per_minute: 150,
    };
    for (const name of NAMES)
      sources.save({ name, config, table_prefix: `${name}_`, streams: onlyStreams('contacts', 'messages') });
    service = new RunService({ root: dir, db, log: silentLogger });
    ui = await startUi({ dir, db, log: silentLogger, service });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await service?.shutdown();
    await ui?.close();
    await sb?.close();
  });

  it('follows seven runs on one page, and Stop still answers', async () => {
    for (const name of NAMES) service.start(name);
    const page = await (await browser.newContext()).newPage();
    await page.goto(ui.launchUrl);
    await page.waitForSelector('body[data-live]');
    for (const name of NAMES) await page.waitForSelector(`[data-progress-for=${name}] [data-stream]`);
    const last = NAMES.at(-1)!;
    const asked = Date.now();
    await page.click(`[data-action=stop][data-name=${last}]`);
    await page.waitForSelector(`[data-progress-for=${last}][data-done=stopped]`, { timeout: 20_000 });
    expect(Date.now() - asked).toBeLessThan(10_000);
    // The others go on to their end on the same page.
    for (const name of NAMES.slice(0, -1))
      await page.waitForSelector(`[data-progress-for=${name}][data-done=ok]`, { timeout: 180_000 });
  }, 240_000);
});
