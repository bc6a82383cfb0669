/**
 * The service layer: views of conversation metrics over a source's synced tables, made again at every switch
 * of the source (README "The service layer"). Each model's SQL is a file of its own beside this one, with
 * placeholders for the tables it reads and the source's time zone; here they become the views' SQL.
 */
import { readFileSync } from 'node:fs';
import type { ModelView, TableTarget } from '../catalog/types.js';
import { quoteIdent, quoteString } from '../catalog/columns.js';

/** The streams every model reads: attendances come from reports, what was said from messages. */
export const MODEL_STREAMS = ['messages', 'reports'] as const;
type ModelStream = (typeof MODEL_STREAMS)[number];

/** The models, in the order they are made (a model may read one made before it). */
export const MODELS = ['attendances', 'conversation_days', 'contacts_activity'] as const;
export type ModelName = (typeof MODELS)[number];

/** The layer the models land in unless a source says otherwise (`models_layer`). */
export const DEFAULT_MODELS_LAYER = 'service';

// From src/models or dist/models alike: the SQL files stay in src (tsc copies no .sql). Read once a process:
// every sync, save check and page that names the models asks again.
const texts = new Map<ModelName, string>();
function sqlOf(model: ModelName): string {
  let text = texts.get(model);
  if (text === undefined) {
    text = readFileSync(new URL(`../../src/models/${model}.sql`, import.meta.url), 'utf8');
    texts.set(model, text);
  }
  return text;
}

/** Each model's view name for a source whose names start with `prefix` (its folder + table_prefix). */
export const modelNames = (prefix: string): Record<ModelName, string> =>
  Object.fromEntries(MODELS.map((m) => [m, `${prefix}${m}`])) as Record<ModelName, string>;

/** What a model's rows mean, in words: its SQL file's opening comment (placeholders left out). */
export function aboutModel(model: string): string | undefined {
  if (!(MODELS as readonly string[]).includes(model)) return undefined;
  const lines: string[] = [];
  for (const line of sqlOf(model as ModelName).split('\n')) {
    if (!line.startsWith('--')) break;
    const text = line.replace(/^--\s?/, '');
    if (!text.startsWith('Placeholders:')) lines.push(text);
  }
  return lines.join(' ').replace(/\s+/g, ' ').trim();
}

const qualified = (t: { layer: string; name: string }): string =>
  `${quoteIdent(t.layer)}.${quoteIdent(t.name)}`;

export interface ModelsInput {
  layer: string;
  /** What every model's name starts with (the source's folder + table_prefix, as its tables'). */
  prefix: string;
  /** Where the source's streams land. */
  tables: Record<ModelStream, TableTarget>;
  /** IANA name: the days of `conversation_days` are days there. */
  timeZone: string;
}

/** The views of the service layer for one source, in the order they are to be made. */
export function modelViews(o: ModelsInput): ModelView[] {
  const names = modelNames(o.prefix);
  const fill: Record<string, string> = {
    reports: qualified(o.tables.reports),
    messages: qualified(o.tables.messages),
    attendances: qualified({ layer: o.layer, name: names.attendances }),
    time_zone: quoteString(o.timeZone),
  };
  return MODELS.map((model) => ({
    layer: o.layer,
    name: names[model],
    model,
    reads: MODEL_STREAMS.map((s) => o.tables[s]),
    timeZone: o.timeZone,
    sql: sqlOf(model).replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      const value = fill[key];
      if (value === undefined) throw new Error(`${model}.sql: unknown placeholder {{${key}}}`);
      return value;
    }),
  }));
}
