/**
 * The app's JSON API, all through the pipeline's and the tap's own functions: saving a source (parseSource),
 * testing access (the tap's --test), estimating (conversas plan's estimate), running (runPipeline), reading the
 * catalog read-only. Answers never carry a secret: errors are redacted, sources are shown without them.
 */
import { Hono } from 'hono';
import { validateConfig, type RawConfig } from '../config.js';
import { CatalogStore } from '../catalog/store.js';
import { parseDay } from '../dates.js';
import { UserError } from '../errors.js';
import { createLogger } from '../log.js';
import { checkSchedule } from '../pipeline/source.js';
import { redactor } from '../redact.js';
import { checkConnection } from '../tap/check.js';
import { describeCost, estimatePlan } from '../tap/estimate.js';
import { isRunnable, STREAMS } from '../streams/index.js';
import { bigints } from './layout.js';
import type { RunService } from '../runs/service.js';
import { withCatalog } from './catalog.js';
import { inAppWords } from './words.js';
import {
  configOf,
  fieldOf,
  sourceOf,
  summaryOf,
  text,
  triggerOf,
  type Form,
  type FormOptions,
} from './form.js';
import { catalogExists } from '../catalog/catalog-file.js';
import { layoutOf } from '../catalog/layout.js';

/** The SQL box's bounds: rows shown, and what one query may hold in memory. */
const SQL_ROWS = 1000;
const SQL_MEMORY = '256MB';

export interface ApiOptions extends FormOptions {
  /** How long a query of the SQL box may run before it is stopped. */
  sqlTimeoutMs: number;
  runs: RunService;
  db: string;
  inWords: (cron: string | undefined, timezone?: string) => string;
}

export function api(o: ApiOptions): Hono {
  const app = new Hono();
  const form = async (c: { req: { json(): Promise<unknown> } }): Promise<Form> => {
    const body = await c.req.json().catch(() => undefined);
    if (!body || typeof body !== 'object') throw new UserError('expected a JSON object');
    return body as Form;
  };

  app.get('/check-date', (c) => {
    try {
      return c.json({ ok: true, day: parseDay(c.req.query('value') ?? '', 'start date') });
    } catch (error) {
      return c.json({ ok: false, error: (error as Error).message });
    }
  });

  app.post('/trigger', async (c) => {
    try {
      const { schedule, timezone } = triggerOf(await form(c));
      return c.json({ ok: true, schedule, words: o.inWords(schedule || undefined, timezone) });
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      return c.json({ ok: false, error: inAppWords(error.message) });
    }
  });

  app.get('/cron', (c) => {
    const expr = c.req.query('expr') ?? '';
    try {
      checkSchedule(expr);
      return c.json({ ok: true, words: o.inWords(expr) });
    } catch (error) {
      return c.json({ ok: false, error: (error as Error).message });
    }
  });

  app.post('/test', async (c) => {
    const lines: string[] = [];
    // The log's own redaction applies; its lines are what the tap's --test prints.
    const log = createLogger((line) => void lines.push(line.trimEnd()), 'info');
    try {
      const config = validateConfig(configOf(await form(c), o));
      await checkConnection(config, log);
      // The streams these tested settings can run: the page ticks them (unless a person chose already).
      return c.json({
        ok: true,
        lines,
        runnable: STREAMS.filter((s) => isRunnable(s, config)).map((s) => s.name),
      });
    } catch (error) {
      return c.json({ ok: false, lines, error: inAppWords(redactor.redact((error as Error).message)) });
    }
  });

  app.post('/estimate', async (c) => {
    const f = await form(c);
    const raw = sourceOf(f, o);
    const config = validateConfig(raw['config'] as RawConfig);
    const streams = raw['streams'] as Record<string, { selected: boolean; sync?: string }>;
    const selected = STREAMS.filter((s) => streams[s.name]?.selected).map((s) => s.name);
    const methods = new Map(
      selected.map(
        (name) => [name, streams[name]?.sync === 'incremental' ? 'INCREMENTAL' : 'FULL_TABLE'] as const,
      ),
    );
    const estimate = await estimatePlan({
      config,
      selected,
      state: { bookmarks: {} },
      methods,
      full: true,
      now: Date.now(),
    });
    // The plan's warnings (a stream set to incremental that cannot be), in the same words as the sync's.
    const warnings = estimate.plan.warnings.map((w) => ` WARN: ${w}.`).join('');
    return c.json({
      ok: true,
      text: `a full sync of what is selected: ${describeCost(estimate.full, config.requests_per_minute)} (at least: a contact with long history takes more; estimated with ${estimate.spent} requests)${warnings}`,
    });
  });

  app.post('/summary', async (c) => {
    try {
      return c.json({ ok: true, lines: summaryOf(await form(c), o, o.inWords) });
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      return c.json({ ok: false, error: inAppWords(error.message), field: fieldOf(error.message) });
    }
  });

  app.post('/sources', async (c) => {
    const f = await form(c);
    try {
      return c.json(await save(f));
    } catch (error) {
      // A refusal goes beside its field, on its step.
      if (!(error instanceof UserError)) throw error;
      return c.json({
        ok: false,
        error: inAppWords(redactor.redact(error.message)),
        field: fieldOf(error.message),
      });
    }
  });
  const save = async (f: Form): Promise<{ ok: true; name: string }> => {
    const raw = sourceOf(f, o);
    const editing = text(f['editing']) || undefined;
    // The catalog's tables and who writes them: a table of another source is refused now, not at the switch.
    const owners = catalogExists(layoutOf(o.db))
      ? new Map((await withCatalog(o.db, (s) => s.tables())).map((t) => [`${t.layer}.${t.table}`, t.source]))
      : undefined;
    const source = o.sources.save(raw, editing, {
      ...(owners ? { owners } : {}),
      ...(o.sandbox ? { sandbox: o.sandbox } : {}),
    });
    return { ok: true, name: source.name };
  };

  app.post('/sources/:name/run', (c) => {
    o.runs.start(c.req.param('name'));
    return c.json({ ok: true });
  });

  app.post('/sources/:name/stop', async (c) => {
    const run = await o.runs.stop(c.req.param('name'));
    if (!run) throw new UserError(`"${c.req.param('name')}" is not running`);
    return c.json({ ok: true, status: run.status });
  });

  app.post('/sources/:name/toggle', (c) => {
    const name = c.req.param('name');
    const raw = o.sources.raw(name);
    o.sources.save({ ...raw, schedule_paused: raw['schedule_paused'] !== true }, name);
    return c.json({ ok: true, paused: raw['schedule_paused'] !== true });
  });

  app.post('/sources/:name/delete', async (c) => {
    const name = c.req.param('name');
    const f = await form(c);
    if (o.runs.isRunning(name)) throw new UserError(`"${name}" is running: wait for it to end`);
    if (f['drop_tables'] === true) {
      await CatalogStore.dropSource(o.db, name);
    }
    o.sources.remove(name);
    return c.json({ ok: true });
  });

  app.post('/query', async (c) => {
    const sql = text((await form(c))['sql']);
    if (!sql) throw new UserError('no query');
    // Bounded: rows read as DuckDB streams them, at most SQL_ROWS, within the time limit and a memory limit.
    const answer = await withCatalog(
      o.db,
      (store) =>
        store.queryBounded(sql, { maxRows: SQL_ROWS, timeoutMs: o.sqlTimeoutMs }).catch((error: Error) => {
          if (error instanceof UserError) throw error;
          throw new UserError(`query failed: ${error.message.split('\n')[0]}`);
        }),
      { memoryLimit: SQL_MEMORY },
    );
    return c.json({
      ok: true,
      rows: JSON.parse(JSON.stringify(answer.rows, bigints)) as unknown,
      more: answer.more,
    });
  });
  return app;
}
