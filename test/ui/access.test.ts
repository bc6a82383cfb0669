/**
 * Every page of the web app checked by axe-core in Chromium (no serious or critical violation), at a desktop
 * width and at 390 px (a phone), where no page may scroll sideways (only data tables scroll, inside their box);
 * and the wizard's steps reachable and operable by keyboard.
 */
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { SourceDirectory } from '../../src/pipeline/directory.js';
import { RunService } from '../../src/runs/service.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startUi, type Ui } from '../../src/ui/server.js';
import { DAY, dayOf, onlyStreams, sandboxOverrides } from '../helpers.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations on the page as it is now. */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Whether the page itself scrolls sideways (a data table scrolling inside its box does not count). */
const scrollsSideways = (page: Page): Promise<boolean> =>
  page.evaluate(() => {
    const doc = (
      globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
    ).document.documentElement;
    return doc.scrollWidth > doc.clientWidth + 1;
  });

describe('the web app for everyone', () => {
  let sb: Sandbox;
  let ui: Ui;
  let browser: Browser;
  const pages = [
    '',
    'new',
    'edit/people',
    'runs/people',
    'catalog',
    'catalog/raw/contacts',
    'catalog/raw/messages',
    'catalog/service/conversation_days',
    'no/such/page',
  ];

  beforeAll(async () => {
    sb = await startSandbox({ world: { seed: 81, contacts: 12 }, requestsPerMinute: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'ui-access-'));
    const db = join(dir, 'conversas.duckdb');
    const sources = new SourceDirectory(dir);
    sources.save({
      name: 'people',
      description: 'Conta principal',
      config: sandboxOverrides(sb, dayOf(sb.world.now - 30 * DAY), dayOf(sb.world.now - DAY)),
      schedule: '0 3 * * *',
      streams: onlyStreams('contacts', 'messages', 'reports'),
    });
    const service = new RunService({ root: dir, db, log: silentLogger });
    service.start('people');
    expect((await service.finished('people'))?.status).toBe('succeeded');
    ui = await startUi({ dir, db, log: silentLogger, service, defaults: { api_url: sb.url } });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ui?.close();
    await sb?.close();
  });

  for (const width of [1200, 390]) {
    it(`has no serious or critical axe violation at ${width} px, and no page scrolls sideways`, async () => {
      // axe is injected as a script: the app's Content-Security-Policy would (rightly) refuse it.
      const context = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
      const page = await context.newPage();
      await page.goto(ui.launchUrl);
      const problems: string[] = [];
      for (const path of pages) {
        await page.goto(`${ui.url}${path}`);
        problems.push(...(await violations(page)).map((v) => `/${path}: ${v}`));
        if (await scrollsSideways(page)) problems.push(`/${path}: the page scrolls sideways at ${width} px`);
      }
      // Each step of the wizard, shown.
      await page.goto(`${ui.url}new`);
      for (let step = 2; step <= 5; step++) {
        await page.click(`.steps [data-goto="${step}"]`);
        problems.push(...(await violations(page)).map((v) => `/new step ${step}: ${v}`));
        if (await scrollsSideways(page)) problems.push(`/new step ${step}: scrolls sideways at ${width} px`);
      }
      expect(problems).toEqual([]);
      await context.close();
    }, 120_000);
  }

  it('the wizard by keyboard alone: Tab reaches the steps, Enter opens one; buttons are named by what they do', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    await page.goto(ui.launchUrl);
    expect(await page.getAttribute('[data-action=run][data-name=people]', 'aria-label')).toBe(
      'Run people now',
    );
    await page.goto(`${ui.url}new`);
    const focusedStep = () =>
      page.evaluate(
        () =>
          (
            globalThis as unknown as {
              document: {
                activeElement: { closest(s: string): { dataset: { goto?: string } } | null } | null;
              };
            }
          ).document.activeElement?.closest('[data-goto]')?.dataset.goto ?? null,
      );
    let presses = 0;
    while ((await focusedStep()) !== '3' && presses++ < 15) await page.keyboard.press('Tab');
    expect(await focusedStep()).toBe('3');
    await page.keyboard.press('Enter');
    expect(await page.isVisible('fieldset[data-step="3"]')).toBe(true);
    expect(await page.isVisible('fieldset[data-step="1"]')).toBe(false);
    expect(await page.getAttribute('[data-goto="3"] button', 'aria-current')).toBe('step');
    await context.close();
  }, 60_000);
});
