/**
 * A value per day as a line (the median first response of each day), drawn on the server as SVG like the
 * other pictures (charts.ts): a title and a description a screen reader reads, a point per day with its value.
 */
import { html } from 'hono/html';
import type { Html } from './layout.js';

export function dailyLine(o: {
  title: string;
  /** What a value is, after the number ("min"). */
  unit: string;
  points: { day: string; value: number }[];
  /** The days of the axis (a picture beside it may have more days than points): the points' days by default. */
  days?: string[];
}): Html {
  const points = [...o.points].sort((a, b) => a.day.localeCompare(b.day));
  const days = [...new Set([...(o.days ?? []), ...points.map((p) => p.day)])].sort();
  const index = new Map(days.map((d, i) => [d, i]));
  const [width, height, left, bottom, top] = [720, 200, 48, 36, 12];
  const plot = height - bottom - top;
  const max = Math.max(1, ...points.map((p) => p.value));
  const step = (width - left - 8) / Math.max(1, days.length);
  const every = Math.max(1, Math.ceil(points.length / 8));
  const xy = points.map((p) => ({
    ...p,
    x: left + index.get(p.day)! * step + step / 2,
    y: top + plot - (p.value / max) * plot,
  }));
  const shown = (v: number): string => (v >= 10 ? v.toFixed(0) : v.toFixed(1));
  const values = points.map((p) => p.value).sort((a, b) => a - b);
  const description = points.length
    ? `${points.length} day(s) from ${points[0]!.day} to ${points.at(-1)!.day}; lowest ${shown(values[0]!)} ${o.unit}, highest ${shown(values.at(-1)!)} ${o.unit}`
    : 'no day has a value';
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="line-title line-desc">
      <title id="line-title">${o.title}</title>
      <desc id="line-desc">${description}</desc>
      <line x1="${left}" y1="${top + plot}" x2="${width - 4}" y2="${top + plot}" stroke="#99a3ad" />
      <text x="${left - 6}" y="${top + 8}" text-anchor="end" font-size="11">${shown(max)}</text>
      <text x="${left - 6}" y="${top + plot}" text-anchor="end" font-size="11">0</text>
      <polyline
        fill="none"
        stroke="#0b6aa2"
        stroke-width="2"
        points="${xy.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')}"
      />
      ${xy.map(
        (p, i) =>
          html`<g data-day="${p.day}">
            <circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="3" fill="#0b6aa2"
              ><title>${p.day}: ${shown(p.value)} ${o.unit}</title></circle
            >
            ${
              i % every === 0
                ? html`<text
                    x="${p.x.toFixed(1)}"
                    y="${height - bottom + 14}"
                    text-anchor="middle"
                    font-size="10"
                    >${p.day.slice(5)}</text
                  >`
                : ''
            }
          </g>`,
      )}
    </svg>
    <figcaption>${o.title} (${o.unit})</figcaption>
  </figure>`;
}
