/**
 * A value per day as a line (the median first response of each day), drawn on the server as SVG like the
 * other pictures (charts.ts, whose frame and day labels it shares): a title and a description a screen reader
 * reads, a point per day with its value.
 */
import { html } from 'hono/html';
import { dayLabel, dayPlot, dayScale } from './charts.js';
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
  const g = dayPlot(200, days.length);
  const { width, height, left, top, plot, step } = g;
  const max = Math.max(1, ...points.map((p) => p.value));
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
      ${dayScale(g, shown(max))}
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
            ${i % every === 0 ? dayLabel(g, p.x, p.day) : ''}
          </g>`,
      )}
    </svg>
    <figcaption>${o.title} (${o.unit})</figcaption>
  </figure>`;
}
