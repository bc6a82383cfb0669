/**
 * The app's pages, rendered on the server (every value escaped by `html`): Sources, the five steps of a new
 * source, and the Catalog. The browser gets plain HTML and one script (static/app.js) for what must react as
 * a person types: step changes, the description counter, search, the trigger in words, tests and estimates, and
 * a run's live progress.
 */
import cronstrue from 'cronstrue';
import { html, raw } from 'hono/html';
import type { TableInfo, VersionInfo } from '../catalog/types.js';
import type { RawConfig } from '../config.js';
import { SETTINGS } from '../config.js';
import type { StreamDefinition } from '../streams/define.js';
import { machineTimeZone } from '../pipeline/source.js';
import type { RunRecord } from '../runs/records.js';
import { runLine } from './runs.js';

type Html = ReturnType<typeof html>;

/**
 * A data table too wide for a phone scrolls inside this box, never the page; the box takes keyboard focus so it
 * can be scrolled without a mouse, and is named for screen readers.
 */
const scrollBox = (label: string, content: Html): Html =>
  html`<div class="scroll" tabindex="0" role="region" aria-label="${label}">${content}</div>`;

/** A table's header row. */
const header = (...names: string[]): Html =>
  html`<thead>
    <tr>
      ${names.map((n) => html`<th>${n}</th>`)}
    </tr>
  </thead>`;

export function layout(title: string, body: Html, active: 'sources' | 'catalog' | 'new' = 'sources'): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · conversas</title>
        <link rel="stylesheet" href="/static/style.css" />
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <script type="module" src="/static/app.js"></script>
      </head>
      <body>
        <header>
          <strong>conversas</strong>
          <nav>
            <a href="/" class="${active === 'sources' ? 'active' : ''}">Sources</a>
            <a href="/new" class="${active === 'new' ? 'active' : ''}">Add source</a>
            <a href="/catalog" class="${active === 'catalog' ? 'active' : ''}">Catalog</a>
          </nav>
        </header>
        <main>${body}</main>
      </body>
    </html>`;
}

/** A page for what went wrong: its status in words, and what to do; never a file path or a stack. */
export function errorPage(title: string, message: string): Html {
  return layout(
    title,
    html`<h1>${title}</h1>
      <p class="error" data-error>${message}</p>
      <p><a href="/">Back to the sources</a> · <a href="/catalog">the catalog</a></p>`,
  );
}

/** A cron expression in words ("At 03:00 AM"), or why it is not one. */
/** A trigger in words, with the time zone it runs in: "At 03:00, America/Sao_Paulo". */
export function inWords(expression: string | undefined, timezone = machineTimeZone()): string {
  if (!expression) return 'manual only';
  try {
    return `${cronstrue.toString(expression, { use24HourTimeFormat: true, verbose: false })}, ${timezone}`;
  } catch {
    return expression;
  }
}

export interface SourceRow {
  name: string;
  description: string;
  schedule?: string | undefined;
  timezone?: string | undefined;
  paused: boolean;
  last?: RunRecord | undefined;
  running: boolean;
}

export function sourcesPage(rows: SourceRow[], created?: string): Html {
  const body = rows.length
    ? html`<table class="sources">
        ${header('Source', 'Trigger', 'Last run', '')}
        <tbody>
          ${rows.map(
            (s) =>
              html`<tr data-source="${s.name}" class="${s.name === created ? 'created' : ''}">
                  <td>
                    <strong>${s.name}</strong>
                    <div class="muted">${s.description}</div>
                  </td>
                  <td>
                    ${inWords(s.schedule, s.timezone)}${s.schedule && s.paused ? html` <em>(paused)</em>` : ''}
                    ${
                      s.schedule
                        ? html`<button class="link" data-action="toggle" data-name="${s.name}">
                            ${s.paused ? 'enable schedule' : 'disable schedule'}
                          </button>`
                        : ''
                    }
                  </td>
                  <td class="last">
                    ${
                      s.last
                        ? html`<span class="last-line">${runLine(s.last)}</span>
                            <div class="muted">${s.last.error ?? s.last.note ?? ''}</div>
                            <a href="/runs/${s.name}">history</a>`
                        : html`<span class="muted">never run: ready to run</span>`
                    }
                  </td>
                  <td class="actions">
                    <button
                      class="run"
                      data-action="run"
                      data-name="${s.name}"
                      title="Run now"
                      aria-label="Run ${s.name} now"
                      ${s.running ? 'disabled' : ''}
                    >
                      ▶
                    </button>
                    <button
                      class="stop"
                      data-action="stop"
                      data-name="${s.name}"
                      aria-label="Stop the run of ${s.name}"
                      ${s.running ? '' : 'hidden'}
                    >
                      Stop
                    </button>
                    <a href="/edit/${s.name}">edit</a>
                    <button class="link" data-action="delete" data-name="${s.name}">delete</button>
                  </td>
                </tr>
                <tr
                  class="progress-row"
                  data-progress-for="${s.name}"
                  ${s.running ? 'data-running' : 'hidden'}
                >
                  <td colspan="4">
                    <div class="progress"></div>
                    <pre class="summary"></pre>
                  </td>
                </tr>`,
          )}
        </tbody>
      </table>`
    : html`<p>No source yet. <a href="/new">Add one</a>: five steps, a few minutes.</p>`;
  return layout(
    'Sources',
    html`<h1>Sources</h1>
      ${created ? html`<p class="notice">Source <strong>${created}</strong> is saved and ready to run: press ▶.</p>` : ''}
      ${body}`,
  );
}

export interface StreamChoice {
  stream: StreamDefinition;
  group: string;
  notes: string[];
}

/** The five steps in one form; the script shows one step at a time and posts the whole source at the end. */
export function wizardPage(o: {
  streams: StreamChoice[];
  layers: string[];
  existing?: RawConfig | undefined;
  sandbox: boolean;
}): Html {
  const e = o.existing ?? {};
  const config = (e['config'] ?? {}) as RawConfig;
  const secrets = (e['secrets'] ?? {}) as Record<string, boolean>;
  const streams = (e['streams'] ?? {}) as Record<
    string,
    { selected?: boolean; table?: string; sync?: string }
  >;
  const groups = [...new Set(o.streams.map((s) => s.group))];
  const editing = e['name'] !== undefined;
  const step = (n: number, title: string, content: Html): Html =>
    html`<fieldset class="step" data-step="${n}" ${n === 1 ? '' : 'hidden'}>
      <legend>Step ${n} of 5 · ${title}</legend>
      ${content}
    </fieldset>`;
  const secretHint = (key: string) =>
    secrets[key] ? html`<span class="set">set</span> (leave empty to keep it)` : '';
  return layout(
    editing ? `Edit ${String(e['name'])}` : 'Add source',
    html`<h1>${editing ? `Edit ${String(e['name'])}` : 'Add source'}</h1>
      <ol class="steps" aria-label="steps">
        ${['Access', 'Streams', 'Tables', 'Source', 'Check'].map(
          (name, i) =>
            html`<li data-goto="${i + 1}"><button type="button" class="step-pill">${name}</button></li>`,
        )}
      </ol>
      <form id="wizard" data-editing="${editing ? String(e['name']) : ''}" autocomplete="off">
        ${step(
          1,
          'Account access',
          html`<label
              >Access token (JWT, from Apps e Integrações › API) ${secretHint('access_token')}
              <input type="password" name="access_token" autocomplete="off" spellcheck="false" />
            </label>
            ${
              o.sandbox
                ? html`<label class="inline"
                    ><input type="checkbox" name="use_sandbox" ${e['sandbox'] === true ? 'checked' : ''} />
                    run it on the sandbox (its address, token and key are filled in at each run, never
                    saved)</label
                  >`
                : ''
            }
            <label
              >Start date (first day of history: YYYY-MM-DD, DD/MM/YYYY or an ISO date-time)
              <input
                name="start_date"
                value="${String(config['start_date'] ?? '')}"
                data-check="start_date"
              />
              <span class="check" data-check-for="start_date"></span>
            </label>
            <label
              >Private key (the JWK from "Gerar Chave"; needed to read messages)
              ${secretHint('private_key_jwk')}
              <textarea name="private_key_jwk" rows="4" spellcheck="false"></textarea>
            </label>
            <button type="button" data-action="test">Test connection</button>
            <pre class="answer" data-answer="test"></pre>`,
        )}
        ${step(
          2,
          'Streams',
          html`<input type="search" placeholder="search streams" data-search="streams" />
            ${groups.map(
              (g) =>
                html`<section class="group">
                  <h3>${g}</h3>
                  ${o.streams
                    .filter((s) => s.group === g)
                    .map(
                      ({ stream, notes }) =>
                        html`<label class="stream" data-stream="${stream.name}">
                          <input
                            type="checkbox"
                            name="stream"
                            value="${stream.name}"
                            ${(streams[stream.name]?.selected ?? !stream.needs?.length) ? 'checked' : ''}
                          />
                          <strong>${stream.name}</strong> <span class="muted">${stream.description}</span>
                          ${notes.map((n) => html`<div class="note">${n}</div>`)}
                        </label>`,
                    )}
                </section>`,
            )}
            <button type="button" data-action="estimate">Estimate requests and time</button>
            <pre class="answer" data-answer="estimate"></pre>`,
        )}
        ${step(
          3,
          'Tables',
          html`<label
              >Layer
              <select name="layer">
                ${[...new Set(['raw', ...o.layers])].map(
                  (l) => html`<option ${l === (e['layer'] ?? 'raw') ? 'selected' : ''}>${l}</option>`,
                )}
                <option value="__new">a new layer…</option>
              </select>
              <input name="new_layer" placeholder="new layer name" hidden />
            </label>
            <label>Folder <input name="folder" value="${String(e['folder'] ?? '')}" /></label>
            <label
              >Prefix for every table <input name="table_prefix" value="${String(e['table_prefix'] ?? '')}"
            /></label>
            ${scrollBox(
              'tables and sync types',
              html`<table class="tables">
                ${header('Stream', 'Table', 'Sync type')}
                <tbody>
                  ${o.streams.map(
                    ({ stream }) =>
                      html`<tr data-table-for="${stream.name}">
                        <td>${stream.name}</td>
                        <td>
                          <span class="prefix"></span
                          ><input
                            name="table:${stream.name}"
                            aria-label="table name for ${stream.name}"
                            value="${streams[stream.name]?.table ?? stream.name}"
                          />
                        </td>
                        <td>
                          ${
                            stream.incremental
                              ? html`<select
                                  name="sync:${stream.name}"
                                  aria-label="sync type of ${stream.name}"
                                >
                                  <option value="full_table">full table</option>
                                  <option
                                    value="incremental"
                                    ${streams[stream.name]?.sync === 'incremental' ? 'selected' : ''}
                                  >
                                    incremental
                                  </option>
                                </select>`
                              : html`<span class="muted" title="${stream.fullTableOnly ?? ''}"
                                  >full table</span
                                >`
                          }
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>`,
            )}`,
        )}
        ${step(
          4,
          'Source',
          html`<label
              >Name (lowercase letters, digits, _)
              <input name="name" value="${String(e['name'] ?? '')}" required ${editing ? 'readonly' : ''} />
            </label>
            ${
              editing
                ? html`<p class="muted" data-note="name">
                    A source's name is fixed once it is made: its tables, state and runs are kept under it.
                  </p>`
                : ''
            }
            <label
              >Description <span class="counter" data-counter="description">0/140</span>
              <input name="description" maxlength="140" value="${String(e['description'] ?? '')}" />
            </label>
            <label
              >Trigger
              <select name="trigger">
                <option value="manual">manual only</option>
                <option value="daily">daily</option>
                <option value="weekly">weekly</option>
                <option value="times">specific times</option>
                <option value="cron">custom cron</option>
              </select>
            </label>
            <div class="trigger-detail">
              <label data-for="daily weekly" hidden
                >At (14:30, 8h, noon…)
                <input name="time" value="03:00" />
              </label>
              <select name="weekday" data-for="weekly" hidden>
                ${['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'].map(
                  (d, i) => html`<option value="${i}">${d}</option>`,
                )}
              </select>
              <label data-for="times" hidden
                >Times (sharing their minutes)
                <input name="times" placeholder="08:00, 12:00, 18:00" />
              </label>
              <input
                name="cron"
                placeholder="0 3 * * *"
                value="${String(e['schedule'] ?? '')}"
                data-for="cron"
                hidden
              />
            </div>
            <label
              >Time zone (its triggers run in it)
              <input
                name="timezone"
                list="timezones"
                value="${String(e['timezone'] ?? machineTimeZone())}"
                autocomplete="off"
              />
            </label>
            <datalist id="timezones">
              ${Intl.supportedValuesOf('timeZone').map((z) => html`<option value="${z}"></option>`)}
            </datalist>
            <p class="words" data-words="schedule"></p>
            <label
              >Delta-log retention (days old versions stay queryable)
              <input
                name="retention_days"
                type="number"
                min="0"
                value="${String(e['retention_days'] ?? 7)}"
              />
            </label>
            <label
              >Additional full sync of incremental streams every (days; 0 = never by age)
              <input
                name="full_sync_every_days"
                type="number"
                min="0"
                value="${String(config['full_sync_every_days'] ?? SETTINGS.full_sync_every_days.default)}"
              />
            </label>
            <label
              >…and also on a schedule (cron, optional)
              <input
                name="full_sync_schedule"
                placeholder="0 2 * * 0"
                value="${String(e['full_sync_schedule'] ?? '')}"
              />
            </label>
            <p class="words" data-words="full_sync_schedule"></p>`,
        )}
        ${step(
          5,
          'Check',
          html`<p>Check your source before saving it: it then appears on the Sources page.</p>
            <pre class="summary-lines" data-summary aria-live="polite"></pre>
            <ul class="checks">
              <li data-check="test">Connection test: not run (step 1)</li>
              <li data-check="estimate">Estimate: not made (step 2)</li>
            </ul>
            <pre class="answer" data-answer="save"></pre>
            <button type="submit">Save</button>
            <button type="button" data-action="save-run">Save and run now</button>`,
        )}
        <div class="nav">
          <button type="button" data-action="back">Back</button>
          <button type="button" data-action="next">Next</button>
        </div>
      </form>`,
    'new',
  );
}

export function catalogPage(tables: TableInfo[], busy?: string): Html {
  const layers = [...new Set(tables.map((t) => t.layer))];
  return layout(
    'Catalog',
    html`<h1>Catalog</h1>
      ${busy ? html`<p class="notice">${busy}</p>` : ''}
      ${tables.length === 0 && !busy ? html`<p>No table yet: run a source.</p>` : ''}
      ${layers.map(
        (layer) =>
          html`<section class="layer">
            <h2>${layer}</h2>
            ${[...new Set(tables.filter((t) => t.layer === layer).map((t) => t.folder))].map(
              (folder) =>
                html`<h3>${folder || '(no folder)'}</h3>
                  ${scrollBox(
                    `tables of ${layer}`,
                    html`<table class="catalog">
                      ${header('Table', 'Rows', 'Version', 'Last sync')}
                      <tbody>
                        ${tables
                          .filter((t) => t.layer === layer && t.folder === folder)
                          .map(
                            (t) =>
                              html`<tr>
                                <td><a href="/catalog/${t.layer}/${t.table}">${t.table}</a></td>
                                <td class="num">${t.rows}</td>
                                <td class="num">${t.version}</td>
                                <td>${t.last_sync}</td>
                              </tr>`,
                          )}
                      </tbody>
                    </table>`,
                  )}`,
            )}
          </section>`,
      )}
      <section>
        <h2>SQL (read-only)</h2>
        <label for="sql">A query on the catalog (Ctrl+Enter runs it; the first 1,000 rows are shown)</label>
        <textarea id="sql" rows="3">
${tables[0] ? `SELECT * FROM ${tables[0].layer}.${tables[0].table} LIMIT 10` : 'SELECT 42 AS answer'}</textarea>
        <button type="button" data-action="query">Run query</button>
        <div class="answer" data-answer="query"></div>
      </section>`,
    'catalog',
  );
}

export interface Column {
  name: string;
  type: string;
}

export function tablePage(o: {
  layer: string;
  table: string;
  columns: Column[];
  rows: Record<string, unknown>[];
  versions: VersionInfo[];
  shown: number;
}): Html {
  return layout(
    `${o.layer}.${o.table}`,
    html`<h1>${o.layer}.${o.table}</h1>
      <p><a href="/catalog">← catalog</a></p>
      <h2>Columns</h2>
      <ul class="columns">
        ${o.columns.map((c) => html`<li><code>${c.name}</code> ${typeTree(c.type)}</li>`)}
      </ul>
      <h2>Versions</h2>
      ${scrollBox(
        'versions',
        html`<table class="versions">
          ${header('Version', 'Status', 'Mode', 'Rows', 'Activated', '')}
          <tbody>
            ${o.versions.map(
              (v) =>
                html`<tr class="${v.version === o.shown ? 'shown' : ''}">
                  <td class="num">${v.version}</td>
                  <td>${v.status}</td>
                  <td>${v.mode}</td>
                  <td class="num">${v.rows ?? ''}</td>
                  <td>${v.activated_at ?? ''}</td>
                  <td>
                    ${
                      v.status === 'current' || v.status === 'superseded'
                        ? html`<a href="/catalog/${o.layer}/${o.table}?version=${v.version}">preview</a>`
                        : ''
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>`,
      )}
      <h2>First 100 rows of version ${o.shown}</h2>
      ${rowsTable(o.rows)}`,
    'catalog',
  );
}

/** A DuckDB type, nested STRUCTs shown as nested lists. */
function typeTree(type: string): Html {
  const struct = /^STRUCT\((.*)\)$/s.exec(type);
  if (!struct) return html`<span class="type">${type}</span>`;
  const fields: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of struct[1]!) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      fields.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) fields.push(current.trim());
  return html`<span class="type">STRUCT</span>
    <ul>
      ${fields.map((f) => {
        const space = f.indexOf(' ');
        return html`<li>
          <code>${f.slice(0, space).replace(/^"|"$/g, '')}</code> ${typeTree(f.slice(space + 1))}
        </li>`;
      })}
    </ul>`;
}

export function rowsTable(rows: Record<string, unknown>[]): Html {
  if (rows.length === 0) return html`<p class="muted">no rows</p>`;
  const columns = Object.keys(rows[0]!);
  const cell = (v: unknown): string =>
    v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v, bigints) : String(v);
  return html`<div class="scroll" tabindex="0" role="region" aria-label="rows">
    <table class="rows">
      ${header(...columns)}
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr>
              ${columns.map((c) => html`<td>${cell(r[c])}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

export const bigints = (_: string, v: unknown): unknown => (typeof v === 'bigint' ? String(v) : v);
export { raw };
