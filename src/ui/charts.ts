/**
 * Pictures drawn on the server as SVG from data the app already has: no chart library, no script, nothing
 * fetched (the app's Content-Security-Policy allows none), text a screen reader can read (a title and a
 * description on each), and sizes that scale with the page. Two kinds: stacked bars per day (a table's rows by
 * day and a category, e.g. messages by sender) and the catalog's data model (which table joins which).
 */
import { html } from 'hono/html';
import type { RunRecord } from '../runs/records.js';
import type { Html } from './layout.js';

const COLOURS = ['#0b6aa2', '#e07b00', '#1e6b34', '#8e44ad', '#b3261e', '#5d6d7e'];

/** A legend entry: the swatch of colour `i` (an SVG rect: the CSP allows no inline style) and its name. */
const legend = (name: string, i: number): Html =>
  html`<span class="legend"
    ><svg width="10" height="10" aria-hidden="true">
      <rect width="10" height="10" fill="${COLOURS[i % COLOURS.length]}" />
    </svg>
    ${name}</span
  > `;

/** Where a picture per day draws (stackedBars, line-chart.ts's dailyLine): its size and margins. */
export function dayPlot(height: number, days: number) {
  const [width, left, bottom, top] = [720, 48, 36, 12];
  const plot = height - bottom - top;
  return { width, height, left, bottom, top, plot, step: (width - left - 8) / Math.max(1, days) };
}
type DayPlot = ReturnType<typeof dayPlot>;

/** A picture's base line and its scale: its top value and 0. */
export const dayScale = (g: DayPlot, max: string): Html =>
  html`<line
      x1="${g.left}"
      y1="${g.top + g.plot}"
      x2="${g.width - 4}"
      y2="${g.top + g.plot}"
      stroke="#99a3ad"
    />
    <text x="${g.left - 6}" y="${g.top + 8}" text-anchor="end" font-size="11">${max}</text>
    <text x="${g.left - 6}" y="${g.top + g.plot}" text-anchor="end" font-size="11">0</text>`;

/** A day's label (month-day) under the plot, centred on x. */
export const dayLabel = (g: DayPlot, x: number, day: string): Html =>
  html`<text x="${x.toFixed(1)}" y="${g.height - g.bottom + 14}" text-anchor="middle" font-size="10"
    >${day.slice(5)}</text
  >`;

/** Rows per day and category: one bar a day, stacked by category, with a legend and a sparse day axis. */
export function stackedBars(o: {
  title: string;
  rows: { day: string; category: string; count: number }[];
}): Html {
  const days = [...new Set(o.rows.map((r) => r.day))].sort();
  const categories = [...new Set(o.rows.map((r) => r.category))].sort();
  const count = new Map(o.rows.map((r) => [`${r.day}|${r.category}`, r.count]));
  const totals = days.map((d) => categories.reduce((n, c) => n + (count.get(`${d}|${c}`) ?? 0), 0));
  const max = Math.max(1, ...totals);
  const g = dayPlot(220, days.length);
  const { width, height, left, top, plot, step } = g;
  const bar = Math.max(1, step * 0.8);
  const every = Math.max(1, Math.ceil(days.length / 8));
  const total = totals.reduce((a, b) => a + b, 0);
  const description = `${total} rows over ${days.length} day(s), from ${days[0] ?? '-'} to ${days.at(-1) ?? '-'}; by ${categories
    .map((c) => `${c}: ${o.rows.filter((r) => r.category === c).reduce((n, r) => n + r.count, 0)}`)
    .join(', ')}`;
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title chart-desc">
      <title id="chart-title">${o.title}</title>
      <desc id="chart-desc">${description}</desc>
      ${dayScale(g, String(max))}
      ${days.map((day, i) => {
        let y = top + plot;
        const x = left + i * step + (step - bar) / 2;
        return html`<g data-day="${day}">
          ${categories.map((c, j) => {
            const n = count.get(`${day}|${c}`) ?? 0;
            const h = (n / max) * plot;
            y -= h;
            return n
              ? html`<rect
                  x="${x.toFixed(1)}"
                  y="${y.toFixed(1)}"
                  width="${bar.toFixed(1)}"
                  height="${h.toFixed(1)}"
                  fill="${COLOURS[j % COLOURS.length]}"
                  ><title>${day} ${c}: ${n}</title></rect
                >`
              : '';
          })}
          ${i % every === 0 ? dayLabel(g, x + bar / 2, day) : ''}
        </g>`;
      })}
    </svg>
    <figcaption>${o.title}: ${categories.map((c, j) => legend(c, j))}</figcaption>
  </figure>`;
}

/** A table of the catalog, for the data model. */
export interface ModelTable {
  /** `layer.table`, linked to its page. */
  name: string;
  href: string;
  group: string;
  /** The table it joins (by `on`), if any. */
  joins?: { table: string; on: string };
}

/** Boxes per group (a column each), and a line from each table to the one it joins. */
export function dataModel(tables: ModelTable[]): Html {
  // Joined tables first, the tables that join them next (lines cross nothing), the rest after.
  const targets = new Set(tables.flatMap((t) => (t.joins ? [t.joins.table] : [])));
  const rank = (g: string): number =>
    tables.some((t) => t.group === g && targets.has(t.name))
      ? 0
      : tables.some((t) => t.group === g && t.joins)
        ? 1
        : 2;
  const groups = [...new Set(tables.map((t) => t.group))].sort((a, b) => rank(a) - rank(b));
  const [boxW, boxH, gapY, colW, top] = [260, 30, 14, 300, 34];
  const at = new Map<string, { x: number; y: number }>();
  groups.forEach((g, col) =>
    tables
      .filter((t) => t.group === g)
      .forEach((t, row) => at.set(t.name, { x: 10 + col * colW, y: top + row * (boxH + gapY) })),
  );
  const rows = Math.max(1, ...groups.map((g) => tables.filter((t) => t.group === g).length));
  const width = 20 + groups.length * colW;
  const height = top + rows * (boxH + gapY) + 10;
  const joins = tables.filter((t) => t.joins && at.has(t.joins.table));
  return html`<figure class="chart model">
    <svg viewBox="0 0 ${width} ${height}" role="group" aria-labelledby="model-title model-desc">
      <title id="model-title">The catalog's data model</title>
      <desc id="model-desc">
        ${joins.map((t) => `${t.name} joins ${t.joins!.table} on ${t.joins!.on}. `)}
        ${groups.map(
          (g) =>
            `${g}: ${tables
              .filter((t) => t.group === g)
              .map((t) => t.name)
              .join(', ')}. `,
        )}
      </desc>
      ${groups.map(
        (g, col) => html`<text x="${10 + col * colW}" y="18" font-size="13" font-weight="600">${g}</text>`,
      )}
      ${joins.map((t) => {
        const from = at.get(t.name)!;
        const to = at.get(t.joins!.table)!;
        const [x1, y1, x2, y2] =
          from.x === to.x
            ? [from.x, from.y + boxH / 2, to.x, to.y + boxH / 2]
            : [from.x, from.y + boxH / 2, to.x + boxW, to.y + boxH / 2];
        const bend =
          from.x === to.x ? `C ${x1 - 30} ${y1}, ${x2 - 30} ${y2}` : `C ${x1 - 20} ${y1}, ${x2 + 20} ${y2}`;
        return html`<path
          d="M ${x1} ${y1} ${bend}, ${x2} ${y2}"
          fill="none"
          stroke="#0b6aa2"
          stroke-width="1.5"
          ><title>${t.name} → ${t.joins!.table} (${t.joins!.on})</title></path
        >`;
      })}
      ${tables.map((t) => {
        const p = at.get(t.name)!;
        return html`<a href="${t.href}"
          ><rect x="${p.x}" y="${p.y}" width="${boxW}" height="${boxH}" rx="5" fill="#fff" stroke="#0b3d5c" />
          <text x="${p.x + 8}" y="${p.y + 19}" font-size="12">${t.name}</text></a
        >`;
      })}
    </svg>
  </figure>`;
}

/** A run over time: requests a minute against its budget (429s marked), and records per stream. */
export function runTimeline(run: RunRecord): Html {
  const samples = run.timeline ?? [];
  if (samples.length < 2) return html``;
  const t0 = Date.parse(samples[0]!.at);
  const span = Math.max(1, Date.parse(samples.at(-1)!.at) - t0);
  const [width, height, left, top, bottom] = [720, 150, 48, 10, 24];
  const plot = height - top - bottom;
  const x = (at: string): number => left + ((Date.parse(at) - t0) / span) * (width - left - 8);
  const rates = samples.slice(1).map((s, i) => {
    const before = samples[i]!;
    const minutes = (Date.parse(s.at) - Date.parse(before.at)) / 60_000;
    return {
      at: s.at,
      rate: minutes > 0 ? (s.requests - before.requests) / minutes : 0,
      limited: s.throttled > before.throttled,
    };
  });
  const budget = run.budget_per_minute ?? 0;
  const top1 = Math.max(1, budget * 1.15, ...rates.map((r) => r.rate));
  const y1 = (v: number): number => top + plot - (v / top1) * plot;
  const streams = [...new Set(samples.flatMap((s) => Object.keys(s.records)))].sort();
  const top2 = Math.max(1, ...samples.flatMap((s) => Object.values(s.records)));
  const y2 = (v: number): number => top + plot - (v / top2) * plot;
  const last = samples.at(-1)!;
  const minutes = span / 60_000;
  const description =
    `${last.requests} requests in ${minutes.toFixed(1)} min (${(last.requests / Math.max(minutes, 1 / 60)).toFixed(0)} a minute` +
    `${budget ? ` against a budget of ${budget}` : ''}); ${last.throttled} answered 429; records: ${streams
      .map((s) => `${s} ${last.records[s] ?? 0}`)
      .join(', ')}`;
  const line = (points: [number, number][]): string =>
    points.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ');
  return html`<figure class="chart timeline">
    <svg
      viewBox="0 0 ${width} ${height * 2}"
      role="img"
      aria-labelledby="timeline-${run.id} timeline-desc-${run.id}"
    >
      <title id="timeline-${run.id}">How the run went</title>
      <desc id="timeline-desc-${run.id}">${description}</desc>
      <text x="${left}" y="${top + 2}" font-size="11">
        requests a minute${budget ? ` (budget ${budget})` : ''}
      </text>
      <text x="${left - 6}" y="${top + 10}" text-anchor="end" font-size="10">${Math.round(top1)}</text>
      <line x1="${left}" y1="${top + plot}" x2="${width - 4}" y2="${top + plot}" stroke="#99a3ad" />
      ${
        budget
          ? html`<line
              x1="${left}"
              y1="${y1(budget).toFixed(1)}"
              x2="${width - 4}"
              y2="${y1(budget).toFixed(1)}"
              stroke="#99a3ad"
              stroke-dasharray="4 3"
            />`
          : ''
      }
      <polyline
        fill="none"
        stroke="${COLOURS[0]}"
        stroke-width="1.5"
        points="${line(rates.map((r) => [x(r.at), y1(r.rate)]))}"
      />
      ${rates
        .filter((r) => r.limited)
        .map(
          (r) =>
            html`<circle cx="${x(r.at).toFixed(1)}" cy="${y1(r.rate).toFixed(1)}" r="3" fill="#b3261e"
              ><title>429 at ${r.at}</title></circle
            >`,
        )}
      <g transform="translate(0 ${height})">
        <text x="${left}" y="${top + 2}" font-size="11">records read, by stream</text>
        <text x="${left - 6}" y="${top + 10}" text-anchor="end" font-size="10">${top2}</text>
        <line x1="${left}" y1="${top + plot}" x2="${width - 4}" y2="${top + plot}" stroke="#99a3ad" />
        ${streams.map(
          (stream, j) =>
            html`<polyline
              fill="none"
              stroke="${COLOURS[(j + 1) % COLOURS.length]}"
              stroke-width="1.5"
              points="${line(samples.map((s) => [x(s.at), y2(s.records[stream] ?? 0)]))}"
              ><title>${stream}</title></polyline
            >`,
        )}
        <text x="${left}" y="${height - 6}" font-size="10">0</text>
        <text x="${width - 8}" y="${height - 6}" text-anchor="end" font-size="10">
          ${minutes.toFixed(1)} min
        </text>
      </g>
    </svg>
    <figcaption>${streams.map((s, j) => legend(s, j + 1))}</figcaption>
  </figure>`;
}
