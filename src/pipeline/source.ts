/**
 * The pipeline's source file (`conversas.json`, README "Configuration"): the tap config (inline, a file, or ENV), the
 * description, per-stream selection and naming (layer, folder, table, a global prefix), trigger and retention.
 */
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { Cron } from 'croner';
import { readConfigSources, readJsonFile, type RawConfig, type TapConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import type { ModelView, TableTarget } from '../catalog/store.js';
import { DEFAULT_MODELS_LAYER, MODEL_STREAMS, modelViews } from '../models/index.js';
import type { ReplicationMethod } from '../singer/catalog.js';
import { isRunnable, STREAMS } from '../streams/index.js';
import { checkSelection } from '../tap/sync.js';

export interface StreamSettings {
  selected?: boolean;
  layer?: string;
  folder?: string;
  table?: string;
  /** The seed's sync type: merge what changed (where offered), or replace the whole table (the default). */
  sync?: 'incremental' | 'full_table';
}

export interface Source {
  /** The name STATE is saved under in the catalog. */
  name: string;
  description: string;
  config: RawConfig;
  layer: string;
  folder: string;
  table_prefix: string;
  schedule?: string;
  /** The time zone its triggers run in (IANA name; the machine's when absent). */
  timezone?: string;
  /** Cron: when incremental streams get an additional full pass (besides `full_sync_every_days`). */
  full_sync_schedule?: string;
  retention_days: number;
  /** Made to try the sandbox: it keeps no URL, token or key (the running sandbox gives them at each run). */
  sandbox?: boolean;
  /** The layer of the conversation metrics (src/models) made after each sync; false: none. */
  models_layer: string | false;
  streams: Record<string, StreamSettings>;
}

/** Lowercase only: DuckDB does not tell `RAW` from `raw`, so two spellings would be one schema. */
const IDENT = /^[a-z_][a-z0-9_]*$/;
const MAX_NAME = 63;
/** The catalog's own schemas. */
const RESERVED = /^_conversas/;
/** Schemas and catalogs DuckDB keeps for itself: a layer of that name would fail only when the sync switches. */
const DUCKDB_OWN = new Set(['information_schema', 'pg_catalog', 'main', 'temp', 'system']);

/** A layer: a valid name, neither the catalog's nor DuckDB's own. */
export function checkLayer(kind: string, value: string): string {
  checkName(kind, value);
  if (DUCKDB_OWN.has(value))
    throw new ConfigError(`${kind} "${value}" is one of DuckDB's own schemas: choose another (e.g. raw)`);
  return value;
}

function checkName(kind: string, value: string, kindOfName = 'name'): string {
  if (!IDENT.test(value) || value.length > MAX_NAME) {
    throw new ConfigError(
      `${kind} "${value}" is not a valid ${kindOfName}: use lowercase letters, digits and _ (not first), at most ${MAX_NAME} characters`,
    );
  }
  if (RESERVED.test(value))
    throw new ConfigError(`${kind} "${value}" is reserved for the catalog's own bookkeeping: choose another`);
  return value;
}

export const machineTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** An IANA time zone name (America/Sao_Paulo, UTC), or a clear error. */
export function checkTimeZone(zone: string, what = 'timezone'): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    throw new ConfigError(
      `${what} "${zone}" is not a time zone: use a name such as America/Sao_Paulo or UTC`,
    );
  }
  return zone;
}

export function checkSchedule(expression: string): string {
  try {
    new Cron(expression, { paused: true }).stop();
  } catch (error) {
    throw new ConfigError(
      `schedule "${expression}" is not a valid cron expression (${(error as Error).message})`,
    );
  }
  return expression;
}

/** The name of a source given none, and of a file that gives none: its file's (so two files never share state). */
export const DEFAULT_SOURCE_NAME = 'rdstation_conversas';

/**
 * The name a source file without `"name"` takes: its file name made a valid name. The default file
 * (conversas.json) keeps the name earlier versions gave every unnamed source, so its tables and state carry over.
 */
export function nameFromFile(path: string): string {
  const file = basename(path).replace(/\.json$/i, '');
  if (file === 'conversas') return DEFAULT_SOURCE_NAME;
  const name = file
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, MAX_NAME);
  return IDENT.test(name) && !RESERVED.test(name) ? name : `source_${name}`.slice(0, MAX_NAME);
}

export function parseSource(
  raw: RawConfig,
  baseDir = process.cwd(),
  defaultName = DEFAULT_SOURCE_NAME,
): Source {
  const description = raw['description'] ?? '';
  if (typeof description !== 'string') throw new ConfigError('description must be a string');
  if (description.length > 140)
    throw new ConfigError(`description is ${description.length} characters; at most 140 are allowed`);

  // The tap config: an object, "ENV", a file path, or a list of those merged in order.
  const configValue = raw['config'] ?? {};
  const parts = Array.isArray(configValue) ? configValue : [configValue];
  const config: RawConfig = {};
  for (const part of parts) {
    if (typeof part === 'string')
      Object.assign(
        config,
        readConfigSources([part === 'ENV' || isAbsolute(part) ? part : resolve(baseDir, part)]),
      );
    else if (part && typeof part === 'object') Object.assign(config, part);
    else throw new ConfigError('config must be an object, "ENV", a file path, or a list of those');
  }

  const streams = (raw['streams'] ?? {}) as Record<string, StreamSettings>;
  if (typeof streams !== 'object' || Array.isArray(streams))
    throw new ConfigError('streams must be an object keyed by stream name');
  // Any stream name: `conversas load` takes another tap's streams too; `sync` checks them against ours.
  for (const [name, settings] of Object.entries(streams)) {
    if (!settings || typeof settings !== 'object') throw new ConfigError(`streams.${name} must be an object`);
    if (settings.sync !== undefined && settings.sync !== 'incremental' && settings.sync !== 'full_table')
      throw new ConfigError(`streams.${name}.sync must be "incremental" or "full_table"`);
  }
  const retention = raw['retention_days'] ?? 7;
  if (typeof retention !== 'number' || !(retention >= 0))
    throw new ConfigError('retention_days must be a number of days ≥ 0');
  const source: Source = {
    name: typeof raw['name'] === 'string' ? checkName('name', raw['name'], 'source name') : defaultName,
    description,
    config,
    layer: checkLayer('layer', String(raw['layer'] ?? 'raw')),
    folder: String(raw['folder'] ?? ''),
    table_prefix: String(raw['table_prefix'] ?? ''),
    retention_days: retention,
    models_layer: modelsLayerOf(raw['models_layer']),
    streams,
  };
  if (raw['sandbox'] === true) source.sandbox = true;
  if (raw['schedule'] !== undefined) source.schedule = checkSchedule(String(raw['schedule']));
  if (raw['timezone'] !== undefined) source.timezone = checkTimeZone(String(raw['timezone']));
  if (raw['full_sync_schedule'] !== undefined)
    source.full_sync_schedule = checkSchedule(String(raw['full_sync_schedule']));
  // Every table name starts with folder + prefix: check them once, whatever the streams turn out to be.
  const start = `${source.folder}${source.table_prefix}`;
  if (start) checkName('folder + table_prefix', start);
  for (const [stream, settings] of Object.entries(source.streams))
    if (settings.selected !== false) tableFor(source, stream);
  return source;
}

function modelsLayerOf(value: unknown): string | false {
  if (value === false) return false;
  if (value === undefined || value === null) return DEFAULT_MODELS_LAYER;
  if (typeof value !== 'string')
    throw new ConfigError('models_layer must be a layer name (e.g. "service") or false (no metrics views)');
  return checkLayer('models_layer', value);
}

/**
 * The views of the service layer a sync of these streams makes: none when they are turned off or when the
 * models' streams are not all selected.
 */
export function modelsFor(source: Source, selected: readonly string[]): ModelView[] {
  if (source.models_layer === false || !MODEL_STREAMS.every((s) => selected.includes(s))) return [];
  return modelViews({
    layer: source.models_layer,
    prefix: `${source.folder}${source.table_prefix}`,
    tables: { messages: tableFor(source, 'messages'), reports: tableFor(source, 'reports') },
    timeZone: source.timezone ?? machineTimeZone(),
  });
}

export function readSource(path: string): Source {
  return parseSource(readJsonFile(path, 'source'), dirname(resolve(path)), nameFromFile(path));
}

/** Where a stream lands: layer (a schema) and name = folder + table_prefix + table. */
export function tableFor(source: Source, stream: string): TableTarget {
  const settings = source.streams[stream] ?? {};
  const layer = checkLayer(`streams.${stream}.layer`, settings.layer ?? source.layer);
  const folder = settings.folder ?? source.folder;
  const name = checkName(
    `table name for ${stream}`,
    // A name the user chose must be valid; one derived from another tap's stream name is made valid.
    `${folder}${source.table_prefix}${settings.table ?? stream.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase()}`,
  );
  return { stream, layer, folder, name };
}

/**
 * The streams `sync` runs: those not switched off, and by default only those whose needed settings are set.
 * Names in the source file must be this tap's streams.
 */
export function selectedStreams(source: Source, config: TapConfig): string[] {
  for (const [name, settings] of Object.entries(source.streams)) {
    const stream = STREAMS.find((s) => s.name === name);
    if (!stream)
      throw new ConfigError(
        `streams.${name}: no such stream (known: ${STREAMS.map((s) => s.name).join(', ')})`,
      );
    if (settings.sync === 'incremental' && !stream.incremental)
      throw new ConfigError(
        `streams.${name}.sync: ${name} is full_table only${stream.fullTableOnly ? ` (${stream.fullTableOnly})` : ''}`,
      );
  }
  const selected = STREAMS.filter((s) => source.streams[s.name]?.selected ?? isRunnable(s, config)).map(
    (s) => s.name,
  );
  if (selected.length === 0)
    throw new ConfigError('no stream is selected: select at least one (streams.<name>.selected)');
  // What the tap would refuse (a stream whose settings are missing) is refused here, before any request.
  checkSelection(selected, config);
  return selected;
}

/** The replication method of each stream the source syncs incrementally. */
export const replicationMethods = (source: Source): Map<string, ReplicationMethod> =>
  new Map(
    Object.entries(source.streams).flatMap(([name, s]) =>
      s.sync ? [[name, s.sync === 'incremental' ? 'INCREMENTAL' : 'FULL_TABLE'] as const] : [],
    ),
  );
