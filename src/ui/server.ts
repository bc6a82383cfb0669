/**
 * `conversas ui`: a local web app over the same source files and DuckDB catalog as the command line. Hono
 * (a small, well-kept server framework on Node's http) serves server-rendered pages and a JSON API; every
 * request passes the launch-token, Host and Origin guard (security.ts) first.
 */
import { catalogExists } from '../catalog/catalog-file.js';
import { layoutOf } from '../catalog/layout.js';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { RawConfig } from '../config.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { redactor } from '../redact.js';
import { api } from './api.js';
import { withCatalog } from './catalog.js';
import { catalogPage, tablePage, type Column } from './catalog-page.js';
import { errorPage, inWords } from './layout.js';
import { inAppWords } from './words.js';
import { sourcesPage } from './sources-page.js';
import { wizardPage } from './wizard-page.js';
import type { RunService } from '../runs/service.js';
import { runEvents } from './events.js';
import { runsPage } from './runs-page.js';
import { modelPage } from './service-page.js';
import { guard } from './security.js';
import { SourceDirectory } from '../pipeline/directory.js';
import { DAILY_CHARTS, streamChoices } from './streams.js';
import { stackedBars } from './charts.js';
import { quoteIdent } from '../catalog/columns.js';

export interface UiOptions {
  /** Where the sources live (`<dir>/sources/*.json`). */
  dir: string;
  db: string;
  port?: number;
  log: Logger;
  /** Tap config every new source starts with (the sandbox's URL and budget when the app runs on it). */
  defaults?: RawConfig;
  /** The sandbox's URL, token and key, filled in on the server for a source made to try it (never saved in it). */
  sandboxCredentials?: RawConfig;
  /** Who runs the sources (conversas serve's): runs go on in their own processes, whatever the pages do. */
  service: RunService;
  /** How long a query of the SQL box may run (default 30 s). */
  sqlTimeoutMs?: number;
}

export interface Ui {
  url: string;
  /** The URL with the launch token, to open once. */
  launchUrl: string;
  port: number;
  close(): Promise<void>;
}

const STATIC = fileURLToPath(new URL('../../src/ui/static/', import.meta.url));
const TYPES: Record<string, string> = { js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml' };

/** What an error may say to a browser: no absolute path of this machine. */
const withoutPaths = (message: string): string => inAppWords(message).replace(/(?:\/[\w.@-]+){2,}\/?/g, '…');

export async function startUi(o: UiOptions): Promise<Ui> {
  const token = randomBytes(24).toString('base64url');
  redactor.add(token);
  const sources = new SourceDirectory(o.dir);
  const runs = o.service;
  let port = 0;
  const app = new Hono();
  app.use(
    '*',
    guard(token, () => port),
  );
  app.onError((error, c) => {
    const message = redactor.redact(error instanceof Error ? error.message : String(error));
    if (!(error instanceof UserError)) o.log.error(`ui: ${message}`);
    const status = error instanceof UserError ? 400 : 500;
    if (c.req.path.startsWith('/api/')) return c.json({ ok: false, error: withoutPaths(message) }, status);
    const title = status === 400 ? 'That did not work' : 'Something went wrong';
    return c.html(errorPage(title, withoutPaths(message)), status);
  });
  app.notFound((c) =>
    c.req.path.startsWith('/api/')
      ? c.json({ ok: false, error: `no such request: ${c.req.method} ${c.req.path}` }, 404)
      : c.html(errorPage('Not found', `There is no page ${c.req.path} here.`), 404),
  );

  app.get('/static/:file', (c) => {
    const file = c.req.param('file');
    if (!/^[a-z]+\.(js|css|svg)$/.test(file) || !existsSync(STATIC + file)) return c.notFound();
    return c.body(readFileSync(STATIC + file), 200, { 'Content-Type': TYPES[file.split('.')[1]!]! });
  });

  app.get('/', (c) =>
    c.html(
      sourcesPage(
        sources.names().map((name) => {
          const raw = sources.raw(name);
          return {
            name,
            description: String(raw['description'] ?? ''),
            schedule: raw['schedule'] as string | undefined,
            paused: raw['schedule_paused'] === true,
            timezone: raw['timezone'] as string | undefined,
            last: runs.records.list(name)[0],
            running: runs.isRunning(name),
          };
        }),
        c.req.query('created'),
      ),
    ),
  );

  const layers = async (): Promise<string[]> => {
    if (!catalogExists(layoutOf(o.db))) return [];
    try {
      return [...new Set((await withCatalog(o.db, (s) => s.tables())).map((t) => t.layer))];
    } catch {
      return []; // not published yet (the first sync has not switched): the usual layer is offered
    }
  };
  app.get('/new', async (c) =>
    c.html(wizardPage({ streams: streamChoices(), layers: await layers(), sandbox: !!o.sandboxCredentials })),
  );
  app.get('/edit/:name', async (c) => {
    const name = c.req.param('name');
    if (!sources.names().includes(name))
      return c.html(errorPage('Not found', `There is no source named "${name}".`), 404);
    return c.html(
      wizardPage({
        streams: streamChoices(),
        layers: await layers(),
        existing: sources.view(name),
        sandbox: !!o.sandboxCredentials,
      }),
    );
  });

  app.get('/runs/:name', (c) => {
    const name = c.req.param('name');
    if (!sources.names().includes(name))
      return c.html(errorPage('Not found', `There is no source named "${name}".`), 404);
    return c.html(runsPage(name, runs.records.list(name), (run) => runs.records.readLog(run)));
  });
  app.get('/catalog', async (c) => {
    if (!catalogExists(layoutOf(o.db))) return c.html(catalogPage([]));
    try {
      return c.html(catalogPage(await withCatalog(o.db, (s) => s.tables())));
    } catch (error) {
      return c.html(catalogPage([], (error as Error).message));
    }
  });
  app.get('/catalog/:layer/:table', async (c) => {
    const { layer, table } = c.req.param();
    if (!catalogExists(layoutOf(o.db)))
      return c.html(errorPage('Not found', 'There is no catalog yet: run a source first.'), 404);
    const page = await withCatalog(o.db, async (store) => {
      const models = await store.models();
      const model = models.find((m) => m.layer === layer && m.name === table);
      if (model) return modelPage(store, model, models);
      const versions = (await store.versions(`${layer}.${table}`)).filter((v) => v.status !== 'pending');
      const version = c.req.query('version');
      const shown =
        version === undefined
          ? versions.find((v) => v.status === 'current')
          : versions.find((v) => String(v.version) === version);
      if (!shown)
        return version === undefined || versions.length === 0
          ? `There is no table ${layer}.${table} in the catalog.`
          : `Version ${version} of ${layer}.${table} is not kept (kept: ${versions.map((v) => v.version).join(', ')}).`;
      const columns = (await store.query(`DESCRIBE SELECT * FROM ${shown.physical}`)).map((r): Column => ({
        name: String(r['column_name']),
        type: String(r['column_type']),
      }));
      const rows = await store.query(`SELECT * FROM ${shown.physical} LIMIT 100`);
      const stream = (await store.tables()).find((t) => t.layer === layer && t.table === table)?.stream;
      const daily = stream ? DAILY_CHARTS[stream] : undefined;
      const chart =
        daily && columns.some((c) => c.name === daily.day) && columns.some((c) => c.name === daily.by)
          ? stackedBars({
              title: daily.title,
              rows: (
                await store.query(
                  `SELECT ${quoteIdent(daily.day)}::DATE::VARCHAR AS day, coalesce(${quoteIdent(daily.by)}::VARCHAR, '(none)') AS category, count(*)::INT AS n FROM ${shown.physical} WHERE ${quoteIdent(daily.day)} IS NOT NULL GROUP BY ALL ORDER BY 1`,
                )
              ).map((r) => ({
                day: String(r['day']),
                category: String(r['category']),
                count: Number(r['n']),
              })),
            })
          : undefined;
      return tablePage({ layer, table, columns, rows, versions, shown: shown.version, chart });
    });
    return typeof page === 'string' ? c.html(errorPage('Not found', page), 404) : c.html(page);
  });

  // Every run of the service, as an open Sources page follows it (events.ts).
  app.get('/api/events', runEvents(runs));
  // No request body the app needs is near 1 MB: a bigger one is refused before it is read whole.
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: 1024 * 1024,
      onError: (c) => c.json({ ok: false, error: 'the request is larger than 1 MB' }, 413),
    }),
  );
  app.route(
    '/api',
    api({
      sources,
      runs,
      db: o.db,
      defaults: o.defaults ?? {},
      sandbox: o.sandboxCredentials,
      inWords,
      sqlTimeoutMs: o.sqlTimeoutMs ?? 30_000,
    }),
  );

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: o.port ?? 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    launchUrl: `${url}?token=${token}`,
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Pages left open keep their event streams: closed with the app.
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
    },
  };
}
