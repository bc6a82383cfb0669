/** The Catalog: layers, folders and tables; a table's columns, first rows and versions; the SQL box. */
import { html } from 'hono/html';
import type { TableInfo, VersionInfo } from '../catalog/types.js';
import { dataModel, type ModelTable } from './charts.js';
import { bigints, header, layout, scrollBox, type Html } from './layout.js';
import { groupOf, JOINS } from './streams.js';

export function catalogPage(tables: TableInfo[], busy?: string): Html {
  const layers = [...new Set(tables.map((t) => t.layer))];
  return layout(
    'Catalog',
    html`<h1>Catalog</h1>
      ${busy ? html`<p class="notice">${busy}</p>` : ''}
      ${tables.length === 0 && !busy ? html`<p>No table yet: run a source.</p>` : ''}
      ${
        tables.length
          ? html`<h2>Data model</h2>
              ${dataModel(modelOf(tables))}`
          : ''
      }
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
                                <td class="num">${t.kind === 'view' ? 'view' : t.rows}</td>
                                <td class="num">${t.version ?? ''}</td>
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

/** The tables as the data model draws them: grouped as step 2 groups streams, each joined as JOINS says. */
function modelOf(tables: (TableInfo & { source?: string | null })[]): ModelTable[] {
  return tables.map((t) => {
    const join = JOINS[t.stream];
    // The table it joins: of the same source and layer when there is one.
    const target =
      join &&
      (tables.find((o) => o.stream === join.stream && o.layer === t.layer && o.source === t.source) ??
        tables.find((o) => o.stream === join.stream && o.layer === t.layer));
    return {
      name: `${t.layer}.${t.table}`,
      href: `/catalog/${t.layer}/${t.table}`,
      group: t.kind === 'view' ? 'Metrics (views)' : groupOf(t.stream),
      ...(join && target ? { joins: { table: `${target.layer}.${target.table}`, on: join.on } } : {}),
    };
  });
}

export function tablePage(o: {
  layer: string;
  table: string;
  /** A picture of its rows, when the app draws one for its stream. */
  chart?: Html | undefined;
  columns: Column[];
  rows: Record<string, unknown>[];
  versions: VersionInfo[];
  /** The version shown; null for a view of the service layer (it has none). */
  shown: number | null;
  /** What a view's rows mean (its model's definition). */
  about?: string;
}): Html {
  return layout(
    `${o.layer}.${o.table}`,
    html`<h1>${o.layer}.${o.table}</h1>
      <p><a href="/catalog">← catalog</a></p>
      ${o.about ? html`<p class="about">${o.about}</p>` : ''} ${o.chart ?? ''}
      <h2>Columns</h2>
      <ul class="columns">
        ${o.columns.map((c) => html`<li><code>${c.name}</code> ${typeTree(c.type)}</li>`)}
      </ul>
      ${o.shown === null ? '' : versionsTable(o.versions, o.shown, o.layer, o.table)}
      <h2>${o.shown === null ? 'First 100 rows (computed now)' : `First 100 rows of version ${o.shown}`}</h2>
      ${rowsTable(o.rows)}`,
    'catalog',
  );
}

function versionsTable(versions: VersionInfo[], shown: number, layer: string, table: string): Html {
  const o = { versions, shown, layer, table };
  return html`<h2>Versions</h2>
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
    )}`;
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
