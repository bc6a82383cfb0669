/** Discovery output and stream selection (Singer catalog with metadata). */
import type { TapConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { isRunnable, type StreamDefinition } from '../streams/define.js';
import { selectionOf, type StreamSelection } from './selection.js';
import type { JsonSchema } from '../streams/schema.js';

export type ReplicationMethod = 'INCREMENTAL' | 'FULL_TABLE';

export interface MetadataEntry {
  breadcrumb: string[];
  metadata: Record<string, unknown>;
}
export interface CatalogEntry {
  tap_stream_id: string;
  stream: string;
  schema: JsonSchema;
  key_properties: string[];
  metadata: MetadataEntry[];
  selected?: boolean;
}
export interface Catalog {
  streams: CatalogEntry[];
}

/** Every stream is selected by default, unless it needs a setting the config lacks. */
export function discover(
  streams: readonly StreamDefinition[],
  config: TapConfig,
  sampled?: ReadonlyMap<string, JsonSchema>,
): Catalog {
  return {
    streams: streams.map((s) => {
      const root: Record<string, unknown> = {
        inclusion: 'available',
        'selected-by-default': isRunnable(s, config),
        'table-key-properties': s.keys,
        // FULL_TABLE unless asked: `replication-method: INCREMENTAL` in the catalog (Meltano's metadata) switches.
        ...(s.incremental
          ? { 'valid-replication-keys': [s.incremental.replicationKey], 'replication-method': 'FULL_TABLE' }
          : { 'forced-replication-method': 'FULL_TABLE' }),
      };
      if (s.parent) root['parent-tap-stream-id'] = s.parent.stream;
      const schema = sampled?.get(s.name) ?? s.schema;
      return {
        tap_stream_id: s.name,
        stream: s.name,
        // The stream's description (what it needs, where it comes from) travels with its schema.
        schema: {
          description: s.fullTableOnly
            ? `${s.description} FULL_TABLE only: ${s.fullTableOnly}.`
            : s.description,
          ...schema,
        },
        key_properties: s.keys,
        metadata: [{ breadcrumb: [], metadata: root }, ...propertyMetadata(schema, s.keys, [])],
      };
    }),
  };
}

/** A metadata entry for every property, nested ones included (`meltano select` can address `job.phone`); keys are automatic. */
function propertyMetadata(schema: JsonSchema, keys: readonly string[], at: string[]): MetadataEntry[] {
  return Object.entries(schema.properties ?? {}).flatMap(([field, sub]) => {
    const breadcrumb = [...at, 'properties', field];
    return [
      {
        breadcrumb,
        metadata: { inclusion: at.length === 0 && keys.includes(field) ? 'automatic' : 'available' },
      },
      ...propertyMetadata(sub, keys, breadcrumb),
    ];
  });
}

export function parseCatalog(value: unknown): Catalog {
  const streams = (value as { streams?: unknown } | null)?.streams;
  if (!Array.isArray(streams))
    throw new ConfigError('catalog must be an object with a "streams" array (run --discover)');
  for (const entry of streams) {
    if (!entry || typeof entry !== 'object' || typeof (entry as CatalogEntry).tap_stream_id !== 'string') {
      throw new ConfigError('every catalog stream needs a "tap_stream_id"');
    }
  }
  return value as Catalog;
}

/**
 * The selected streams and, for each, its field selection and schema: `selected` on breadcrumb [] first,
 * then the legacy stream flag.
 */
export function resolveCatalog(
  catalog: Catalog,
  streamOf: (stream: string) => StreamDefinition | undefined,
  log: Logger,
): { names: string[]; selections: Map<string, StreamSelection>; methods: Map<string, ReplicationMethod> } {
  const names = selectedStreamNames(catalog);
  const selections = new Map<string, StreamSelection>();
  const methods = new Map<string, ReplicationMethod>();
  for (const entry of catalog.streams) {
    const stream = streamOf(entry.tap_stream_id);
    if (!names.includes(entry.tap_stream_id) || !stream) continue;
    selections.set(entry.tap_stream_id, selectionOf(entry, stream.schema, log));
    const method = replicationMethodOf(entry);
    if (method === 'INCREMENTAL' && !stream.incremental)
      log.warn(
        `${stream.name}: INCREMENTAL asked for, but the stream is FULL_TABLE only${stream.fullTableOnly ? ` (${stream.fullTableOnly})` : ''}: syncing it in full`,
      );
    else if (method) methods.set(stream.name, method);
  }
  return { names, selections, methods };
}

/** `replication-method` on breadcrumb [] (Meltano writes it there), else the legacy entry field. */
function replicationMethodOf(entry: CatalogEntry): ReplicationMethod | undefined {
  const root = entry.metadata?.find(
    (m) => Array.isArray(m.breadcrumb) && m.breadcrumb.length === 0,
  )?.metadata;
  const value =
    root?.['replication-method'] ?? (entry as { replication_method?: unknown }).replication_method;
  if (value === undefined || value === null || value === '') return undefined;
  const method = String(value).toUpperCase();
  if (method === 'INCREMENTAL' || method === 'FULL_TABLE') return method;
  throw new ConfigError(
    `catalog: ${entry.tap_stream_id} has replication-method "${String(value)}"; use INCREMENTAL or FULL_TABLE`,
  );
}

/**
 * The names of the selected streams: `selected` on breadcrumb [] first, then the legacy stream flag, then (as
 * Meltano SDK taps do) `selected-by-default`: an unedited --discover output syncs what discovery offers.
 */
export function selectedStreamNames(catalog: Catalog): string[] {
  return catalog.streams
    .filter((entry) => {
      const root = entry.metadata?.find(
        (m) => Array.isArray(m.breadcrumb) && m.breadcrumb.length === 0,
      )?.metadata;
      if (root && typeof root['selected'] === 'boolean') return root['selected'];
      if (typeof entry.selected === 'boolean') return entry.selected;
      return root?.['selected-by-default'] === true;
    })
    .map((entry) => entry.tap_stream_id);
}
