/**
 * The web app in a real browser (Debian's Chromium driven by playwright-core) against the sandbox: a person's
 * path through the five steps, "run now" with live progress, the catalog with its versions, a wrong token in
 * step 1, secrets that never leave the source file, and requests the app must refuse.
 */
import { request as httpRequest } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { RunService } from '../../src/runs/service.js';
import { startUi, type Ui } from '../../src/ui/server.js';
import { DAY, dayOf, secretsOf } from '../helpers.js';

const SCREENSHOTS = process.env['SCREENSHOTS'] === '1';
const SHOTS = join(import.meta.dirname, '../../docs/screenshots');
const CONTACTS = 30;

let sb: Sandbox;
let ui: Ui;
let dir: string;
let browser: Browser;
let context: BrowserContext;
/** Every body the app sent the browser. */
const bodies: string[] = [];

beforeAll(async () => {
  sb = await startSandbox({ world: { seed: 71, contacts: CONTACTS, reports: 60 }, requestsPerMinute: 0 });
  dir = mkdtempSync(join(tmpdir(), 'conversas-ui-'));
  ui = await startUi({
    dir,
    db: join(dir, 'conversas.duckdb'),
    log: silentLogger,
    service: new RunService({ root: dir, db: join(dir, 'conversas.duckdb'), log: silentLogger }),
    defaults: { api_url: sb.url, requests_per_minute: 100_000, retry_backoff_seconds: 0.01 },
  });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  context.setDefaultTimeout(20_000);
  context.on('response', (response) => {
    void response.text().then(
      (t) => bodies.push(t),
      () => undefined,
    );
  });
});
afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await sb?.close();
});

const shot = async (page: Page, name: string): Promise<void> => {
  if (SCREENSHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
};
const textOf = (page: Page, selector: string) => page.locator(selector).innerText();

/** Waits until the element's text matches (the event, not a fixed time). */
async function waitForText(page: Page, selector: string, pattern: RegExp): Promise<string> {
  await page.locator(selector).filter({ hasText: pattern }).first().waitFor();
  return textOf(page, selector);
}

describe('conversas ui', () => {
  it("step 1 shows the API's refusal of a wrong token", async () => {
    const page = await context.newPage();
    await page.goto(ui.launchUrl);
    await page.goto(`${ui.url}new`);
    await page.fill('[name=access_token]', 'not-a-valid-token');
    await page.click('[data-action=test]');
    const answer = await waitForText(page, '[data-answer=test]', /401|refused|token/i);
    expect(answer).toMatch(/401/);
    expect(await page.locator('[data-answer=test]').getAttribute('class')).toContain('error');
    await page.close();
  });

  it('five steps make a source; run now fills the catalog with live progress; a second run keeps the first version', async () => {
    const page = await context.newPage();
    await page.goto(ui.launchUrl);
    await page.click('text=Add source');

    // 1. Access, tested.
    await page.fill('[name=access_token]', sb.token);
    await page.fill('[name=start_date]', '01/13/2020');
    await waitForText(page, '[data-check-for=start_date]', /not a date|valid|DD\/MM/i);
    await page.fill('[name=start_date]', dayOf(sb.world.now - 60 * DAY));
    await waitForText(page, '[data-check-for=start_date]', /✓ \d{4}-\d\d-\d\d/);
    await page.fill('[name=private_key_jwk]', JSON.stringify(sb.jwk.current));
    await page.click('[data-action=test]');
    expect(await waitForText(page, '[data-answer=test]', /private key/)).toMatch(/token accepted/);
    // The tested settings allow the history and its messages: ticked for the person.
    expect(await page.isChecked('input[name=stream][value=messages_history]')).toBe(true);
    expect(await page.isChecked('input[name=stream][value=messages]')).toBe(true);
    await page.click('[data-action=next]');

    // 2. Streams: the notes, search, the estimate.
    await page.check('input[value=messages]');
    expect(await textOf(page, '[data-stream=messages_history]')).toMatch(/Advanced plan/);
    // Descriptions in people's words; the API path apart, as a detail.
    expect(await textOf(page, '[data-stream=contacts] > .muted:not(.api)')).toBe(
      'Contacts; the parent of messages_history.',
    );
    expect(await textOf(page, '[data-stream=contacts] .api')).toBe('API: GET /v2/customers');
    expect(await textOf(page, '[data-stream=messages_history]')).toMatch(/once per contacts record/);
    await page.fill('[data-search=streams]', 'report');
    expect(await page.locator('[data-stream=contacts]').isHidden()).toBe(true);
    expect(await page.locator('[data-stream=reports]').isVisible()).toBe(true);
    await page.fill('[data-search=streams]', '');
    await page.click('[data-action=estimate]');
    expect(await waitForText(page, '[data-answer=estimate]', /requests/)).toMatch(
      /≈ [\d,]+ requests ≈ (< 1|\d+) s at/,
    );
    await shot(page, 'step-2-streams');
    await page.click('[data-action=next]');

    // 3. Tables: a prefix for all, incremental messages.
    await page.fill('[name=table_prefix]', 'rd_');
    expect(await textOf(page, '[data-table-for=contacts] .prefix')).toBe('raw . rd_');
    await page.selectOption('[name="sync:messages"]', 'incremental');
    await page.click('[data-action=next]');

    // 4. Source: name, description with its counter, trigger in words.
    await page.fill('[name=name]', 'principal');
    await page.fill('[name=description]', 'Conta principal');
    expect(await textOf(page, '[data-counter=description]')).toBe('15/140');
    // A trigger as people type it, in the source's time zone; one firing every minute is refused, in red.
    await page.selectOption('[name=trigger]', 'cron');
    await page.fill('[name=cron]', '* * * * *');
    expect(await waitForText(page, '[data-words=schedule]', /every 1 min/)).toMatch(
      /at most once every 5 minutes/,
    );
    expect(await page.getAttribute('[data-words=schedule]', 'class')).toContain('error');
    await page.selectOption('[name=trigger]', 'daily');
    await page.fill('[name=time]', 'noon');
    expect(await waitForText(page, '[data-words=schedule]', /12:00/)).toMatch(/At 12:00/);
    await page.fill('[name=timezone]', 'America/Sao_Paulo');
    await page.fill('[name=time]', '4h30');
    expect(await waitForText(page, '[data-words=schedule]', /04:30, America/)).toBe(
      'At 04:30, America/Sao_Paulo',
    );
    await page.click('[data-action=next]');

    // 5. Check: everything chosen in words, then saved, on the Sources page, ready to run.
    await page.locator('[data-summary]', { hasText: /rd_contacts/ }).waitFor();
    expect(await textOf(page, '[data-summary]')).toMatch(/Trigger: At 04:30, America\/Sao_Paulo/);
    await shot(page, 'step-5-check');
    await page.click('button[type=submit]');
    await page.waitForURL(/created=principal/);
    expect(await textOf(page, '[data-source=principal]')).toMatch(/ready to run/);
    const file = join(dir, 'sources', 'principal.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      schedule: string;
      timezone: string;
      streams: Record<string, unknown>;
    };
    expect(saved.schedule).toBe('30 4 * * *');
    expect(saved.timezone).toBe('America/Sao_Paulo');
    expect(await textOf(page, '[data-source=principal]')).toMatch(/At 04:30, America\/Sao_Paulo/);
    expect(saved.streams['messages']).toEqual({ selected: true, sync: 'incremental' });

    // Run now: progress per stream while it runs, the summary at the end.
    await page.click('[data-action=run][data-name=principal]');
    await page.waitForSelector('[data-progress-for=principal] [data-stream=contacts]');
    await page.waitForSelector('[data-progress-for=principal][data-done]');
    expect(await page.getAttribute('[data-progress-for=principal]', 'data-done')).toBe('ok');
    expect(await textOf(page, '[data-progress-for=principal] .progress')).toMatch(
      new RegExp(`contacts: ${CONTACTS} records.*✓`),
    );
    expect(await textOf(page, '[data-progress-for=principal] .summary')).toMatch(/rd_contacts/);
    // The last run, in the source's row, without a reload.
    expect(await textOf(page, '[data-source=principal] .last-line')).toMatch(
      /^✓ succeeded .* UTC, [\d.]+ s, \d+ rows, \d+ requests \(manual\)/,
    );
    await shot(page, 'sources-run');

    // The catalog: the contacts rows.
    await page.click('text=Catalog');
    await page.click('table.catalog a:text-is("rd_contacts")');
    expect(await page.locator('table.rows tbody tr').count()).toBe(CONTACTS);

    // A second run, started in another tab: this one, open on the Sources page, follows it without a reload.
    await page.goto(ui.url);
    await page.waitForSelector('body[data-live]');
    const other = await context.newPage();
    await other.goto(ui.url);
    await other.click('[data-action=run][data-name=principal]');
    await page.waitForSelector('[data-progress-for=principal][data-done=ok]');
    expect(await textOf(page, '[data-progress-for=principal] .progress')).toMatch(/contacts: \d+ records/);
    await other.waitForSelector('[data-progress-for=principal][data-done=ok]');
    await other.close();
    // The first version stays, previewable.
    await page.goto(`${ui.url}catalog/raw/rd_contacts`);
    const versions = await page.locator('table.versions tbody tr').allInnerTexts();
    expect(versions).toHaveLength(2);
    expect(versions[1]).toMatch(/^1\s+superseded/);
    await page.click('table.versions tbody tr:nth-child(2) >> text=preview');
    await waitForText(page, 'main', /First 100 rows of version 1/);
    expect(await page.locator('table.rows tbody tr').count()).toBe(CONTACTS);
    await shot(page, 'catalog-table');
    await page.goto(`${ui.url}catalog/raw/rd_messages`);
    await page.locator('figure.chart').waitFor();
    if (SCREENSHOTS)
      await page.locator('figure.chart').screenshot({ path: join(SHOTS, 'messages-chart.png') });
    await page.goto(`${ui.url}catalog`);
    if (SCREENSHOTS) await page.locator('figure.model').screenshot({ path: join(SHOTS, 'data-model.png') });

    // The SQL box reads, and cannot write.
    await page.goto(`${ui.url}catalog`);
    await page.fill('#sql', 'SELECT count(*) AS n FROM raw.rd_contacts');
    await page.click('[data-action=query]');
    expect(await waitForText(page, '[data-answer=query]', /\d/)).toMatch(new RegExp(`${CONTACTS}`));
    await page.fill('#sql', 'CREATE TABLE raw.x AS SELECT 1');
    await page.click('[data-action=query]');
    expect(await waitForText(page, '[data-answer=query]', /failed/)).toMatch(/read-only|read only/i);
    await page.close();

    // The secrets: in the source file, nowhere else.
    const secrets = secretsOf(sb);
    for (const body of bodies) for (const s of secrets) expect(body.includes(s)).toBe(false);
    for (const name of readdirSync(dir, { recursive: true }) as string[]) {
      const path = join(dir, name);
      if (!statSync(path).isFile() || path === file) continue;
      const content = readFileSync(path, 'latin1');
      for (const s of secrets) expect(content.includes(s), `${name} holds a secret`).toBe(false);
    }
  });

  it('edits a source without asking for its secrets again, disables its schedule, deletes it keeping its tables', async () => {
    const page = await context.newPage();
    await page.goto(ui.launchUrl);
    await page.goto(`${ui.url}edit/principal`);
    // The secrets show as "set", never as values; left empty they stay as saved.
    expect(await textOf(page, 'fieldset[data-step="1"]')).toMatch(/set \(leave empty to keep it\)/);
    expect(await page.inputValue('[name=access_token]')).toBe('');
    await page.click('[data-goto="4"]');
    await page.fill('[name=description]', 'Conta principal, editada');
    await page.click('[data-goto="5"]');
    await page.click('button[type=submit]');
    await page.waitForURL(/created=principal/);
    const saved = JSON.parse(readFileSync(join(dir, 'sources', 'principal.json'), 'utf8')) as {
      description: string;
      config: Record<string, unknown>;
    };
    expect(saved.description).toBe('Conta principal, editada');
    expect(saved.config['access_token']).toBe(sb.token);

    await page.click('[data-action=toggle][data-name=principal]');
    await waitForText(page, '[data-source=principal]', /\(paused\)/);
    expect(JSON.parse(readFileSync(join(dir, 'sources', 'principal.json'), 'utf8'))['schedule_paused']).toBe(
      true,
    );

    // Delete: the first question removes the source, the second (declined) would drop its tables.
    const answers = [true, false];
    page.on('dialog', (dialog) => void (answers.shift() ? dialog.accept() : dialog.dismiss()));
    await page.click('[data-action=delete][data-name=principal]');
    await waitForText(page, 'main', /No source yet/);
    await page.goto(`${ui.url}catalog`);
    expect(await textOf(page, 'main')).toMatch(/rd_contacts/);
    await page.close();
    // Editing sent no secret to the browser either.
    for (const body of bodies) for (const secret of secretsOf(sb)) expect(body.includes(secret)).toBe(false);
  });

  it('refuses a request without the launch token, from another origin, or for another host', async () => {
    const [cookie] = await context.cookies(ui.url);
    const get = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port: ui.port, path: '/api/check-date?value=2026-01-01', headers },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    const host = `127.0.0.1:${ui.port}`;
    const withCookie = { Cookie: `${cookie!.name}=${cookie!.value}` };
    expect(await get({ Host: host, ...withCookie })).toBe(200);
    expect(await get({ Host: host })).toBe(403);
    expect(await get({ Host: host, ...withCookie, Origin: 'http://evil.example' })).toBe(403);
    expect(await get({ Host: `evil.example:${ui.port}`, ...withCookie })).toBe(403);
    expect(await get({ Host: host, Cookie: `${cookie!.name}=wrong` })).toBe(403);
    // A page on another port of this machine is the same site but not the same origin.
    expect(await get({ Host: host, ...withCookie, 'Sec-Fetch-Site': 'same-site' })).toBe(403);
    expect(await get({ Host: host, ...withCookie, 'Sec-Fetch-Site': 'same-origin' })).toBe(200);
  });

  it('answers what does not exist with an HTML page in words: no stack, no file path; the favicon is there', async () => {
    const page = await context.newPage();
    await page.goto(ui.launchUrl);
    for (const [path, words] of [
      ['edit/nope', /There is no source named "nope"/],
      ['runs/nope', /There is no source named "nope"/],
      ['no/such/page', /There is no page \/no\/such\/page/],
      ['catalog/raw/no_such_table', /no table raw\.no_such_table|no catalog yet/i],
      // The earlier test's table is kept; a version it never had is not shown as the current one.
      ['catalog/raw/rd_contacts?version=99', /Version 99 of raw\.rd_contacts is not kept \(kept: 2, 1\)/],
    ] as const) {
      const res = await page.goto(`${ui.url}${path}`);
      expect(res?.status(), path).toBe(404);
      expect(res?.headers()['content-type'], path).toMatch(/text\/html/);
      const text = await textOf(page, 'main');
      expect(text, path).toMatch(words);
      expect(text, path).not.toContain(dir);
      expect(text, path).not.toMatch(/\bat \w+ \(|\.ts:\d+/);
    }
    const icon = await page.goto(`${ui.url}static/favicon.svg`);
    expect(icon?.headers()['content-type']).toBe('image/svg+xml');
    await page.close();
  });
});
