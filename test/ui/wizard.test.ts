/**
 * The wizard as a daily tool, in Chromium: each step a history entry (Back and Forward keep every input), a
 * refusal shown beside its field on its step, step 3 listing only the chosen streams, step 5 summing up
 * everything with Save and Save and run now, and Enter never saving an edit.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { RunService } from '../../src/runs/service.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startUi, type Ui } from '../../src/ui/server.js';
import { DAY, dayOf } from '../helpers.js';

describe('the wizard', () => {
  let sb: Sandbox;
  let ui: Ui;
  let dir: string;
  let browser: Browser;
  let context: BrowserContext;
  beforeAll(async () => {
    sb = await startSandbox({ world: { seed: 91, contacts: 15 }, requestsPerMinute: 0 });
    dir = mkdtempSync(join(tmpdir(), 'ui-wizard-'));
    const db = join(dir, 'conversas.duckdb');
    ui = await startUi({
      dir,
      db,
      log: silentLogger,
      service: new RunService({ root: dir, db, log: silentLogger }),
      defaults: { api_url: sb.url, requests_per_minute: 100_000, retry_backoff_seconds: 0.01 },
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    context.setDefaultTimeout(20_000);
  });
  afterAll(async () => {
    await browser?.close();
    await ui?.close();
    await sb?.close();
  });

  it('keeps inputs across Back and Forward, shows a refusal on its step, sums up, saves and runs', async () => {
    const page = await context.newPage();
    await page.goto(ui.launchUrl);
    await page.goto(`${ui.url}new`);
    await page.fill('[name=access_token]', sb.token);
    await page.fill('[name=start_date]', dayOf(sb.world.now - 30 * DAY));
    await page.click('[data-action=next]');
    expect(page.url()).toMatch(/#step-2$/);
    for (const stream of ['contacts', 'employees']) await page.check(`input[name=stream][value=${stream}]`);
    for (const stream of ['messages', 'messages_history', 'reports', 'flows'])
      await page.uncheck(`input[name=stream][value=${stream}]`);
    const chosen = await page.locator('input[name=stream]:checked').count();
    await page.click('[data-action=next]');
    // Step 3 lists the chosen streams only.
    expect(await page.locator('[data-table-for]:visible').count()).toBe(chosen);
    await page.fill('[name=table_prefix]', 'day_');
    // The final names previewed, the layer apart.
    expect(await page.locator('[data-table-for=contacts] .prefix').textContent()).toBe('raw . day_');
    // The conversation metrics land in their own layer unless the field is emptied.
    expect(await page.inputValue('[name=models_layer]')).toBe('service');
    await page.click('[data-action=next]');
    await page.fill('[name=name]', 'sandbox'); // the demo's name: refused at save
    await page.fill('[name=description]', 'Every morning');

    // Back and Forward move between steps and keep what was typed.
    await page.goBack();
    expect(page.url()).toMatch(/#step-3$/);
    expect(await page.isVisible('fieldset[data-step="3"]')).toBe(true);
    expect(await page.inputValue('[name=table_prefix]')).toBe('day_');
    await page.goBack();
    await page.goBack();
    expect(await page.isVisible('fieldset[data-step="1"]')).toBe(true);
    expect(await page.inputValue('[name=access_token]')).toBe(sb.token);
    await page.goForward();
    await page.goForward();
    await page.goForward();
    expect(await page.isVisible('fieldset[data-step="4"]')).toBe(true);
    expect(await page.inputValue('[name=name]')).toBe('sandbox');

    // Step 5: everything chosen, in words; Save refused: the error shows beside the name, on step 4.
    await page.click('[data-action=next]');
    const summary = page.locator('[data-summary]');
    await summary.filter({ hasText: /Streams and tables/ }).waitFor();
    expect(await summary.innerText()).toMatch(/contacts → raw\.day_contacts \(full table\)/);
    expect(await summary.innerText()).toMatch(/employees → raw\.day_employees/);
    expect(await summary.innerText()).toMatch(/Trigger: /);
    // messages and reports are not chosen here: no metrics views.
    expect(await summary.innerText()).toContain(
      'Conversation metrics: none (they need messages and reports)',
    );
    await page.click('button[type=submit]');
    const error = page.locator('fieldset[data-step="4"] .field-error');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/"sandbox" is the demo's name/);
    expect(await page.isVisible('fieldset[data-step="4"]')).toBe(true);
    expect(await page.getAttribute('[name=name]', 'aria-invalid')).toBe('true');

    // A description too long: the counter turns red, and Save says so beside it (the form is not blocked by the
    // browser's own checks on a hidden step: the server's answer goes to the field).
    await page.fill('[name=name]', 'mornings');
    await page.fill('[name=description]', 'x'.repeat(141));
    expect(await page.getAttribute('[data-counter=description]', 'class')).toContain('error');
    await page.click('.steps [data-goto="5"] button');
    await page.click('button[type=submit]');
    await page.locator('fieldset[data-step="4"] .field-error', { hasText: /at most 140/ }).waitFor();
    expect(await page.getAttribute('[name=description]', 'aria-invalid')).toBe('true');
    await page.fill('[name=description]', 'Every morning');

    // Fixed, then Save and run now: the Sources page shows the run to its end.
    await page.click('.steps [data-goto="5"] button');
    await page.click('[data-action=save-run]');
    await page.waitForURL(/created=mornings/);
    await page.waitForSelector('[data-progress-for=mornings][data-done=ok]', { timeout: 60_000 });
    await page.close();
  }, 120_000);

  it('Enter in a field of Edit does not save', async () => {
    const page = await context.newPage();
    await page.goto(ui.launchUrl);
    await page.goto(`${ui.url}edit/mornings`);
    expect(await page.getAttribute('[name=name]', 'readonly')).not.toBeNull();
    await page.click('.steps [data-goto="4"] button');
    await page.fill('[name=description]', 'half typed');
    await page.press('[name=description]', 'Enter');
    expect(page.url()).toMatch(/\/edit\/mornings/);
    const saved = JSON.parse(readFileSync(join(dir, 'sources', 'mornings.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(saved['description']).toBe('Every morning');
    expect(saved['models_layer']).toBe('service');
    await page.close();
  }, 60_000);
});
