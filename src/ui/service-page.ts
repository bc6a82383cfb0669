/**
 * A view of the service layer in the Catalog: what its rows mean (from its SQL file), its columns and first
 * rows, computed when asked; for `conversation_days`, the attendances opened each day by channel and the
 * median first response of each day.
 */
import { html } from 'hono/html';
import type { CatalogReader, ModelInfo } from '../catalog/reader.js';
import { quoteIdent, quoteString } from '../catalog/columns.js';
import { aboutModel } from '../models/index.js';
import { tablePage, type Column } from './catalog-page.js';
import { stackedBars } from './charts.js';
import type { Html } from './layout.js';
import { dailyLine } from './line-chart.js';

const name = (layer: string, table: string): string => `${quoteIdent(layer)}.${quoteIdent(table)}`;

/** The page of `model`, one of the catalog's `models` (the views it may draw from). */
export async function modelPage(store: CatalogReader, model: ModelInfo, models: ModelInfo[]): Promise<Html> {
  const view = name(model.layer, model.name);
  const columns = (await store.query(`DESCRIBE SELECT * FROM ${view}`)).map((r): Column => ({
    name: String(r['column_name']),
    type: String(r['column_type']),
  }));
  const rows = await store.query(`SELECT * FROM ${view} LIMIT 100`);
  const chart = model.model === 'conversation_days' ? await dailyPictures(store, model, models) : undefined;
  return tablePage({
    layer: model.layer,
    table: model.name,
    columns,
    rows,
    versions: [],
    shown: null,
    chart,
    ...(aboutModel(model.model) ? { about: aboutModel(model.model)! } : {}),
  });
}

/**
 * The day's counts from the view itself; the day's median from the attendances (a median of the per-channel
 * medians would not be the day's median).
 */
async function dailyPictures(store: CatalogReader, model: ModelInfo, models: ModelInfo[]): Promise<Html> {
  const opened = await store.query(
    `SELECT day::VARCHAR AS day, coalesce(channel, '(none)') AS category, sum(attendances_opened)::INT AS n
     FROM ${name(model.layer, model.name)} GROUP BY ALL HAVING n > 0 ORDER BY 1`,
  );
  const attendances = models.find((m) => m.source === model.source && m.model === 'attendances');
  const medians = attendances
    ? await store.query(
        `SELECT timezone(${quoteString(model.time_zone)}, opened_at)::DATE::VARCHAR AS day,
           median(first_response_seconds) AS seconds
         FROM ${name(attendances.layer, attendances.name)} WHERE first_response_seconds IS NOT NULL GROUP BY 1 ORDER BY 1`,
      )
    : [];
  // Minutes unless the medians run to hours.
  const hours = medians.some((r) => Number(r['seconds']) > 3 * 3600);
  return html`${stackedBars({
    title: `Attendances opened per day (${model.time_zone}), by channel`,
    rows: opened.map((r) => ({
      day: String(r['day']),
      category: String(r['category']),
      count: Number(r['n']),
    })),
  })}
  ${dailyLine({
    title: 'Median first response per day',
    unit: hours ? 'h' : 'min',
    days: opened.map((r) => String(r['day'])),
    points: medians.map((r) => ({
      day: String(r['day']),
      value: Number(r['seconds']) / (hours ? 3600 : 60),
    })),
  })}`;
}
