/** Discovery output and stream selection (Singer catalog with metadata). */
import type { TapConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { isRunnable, type StreamDefinition } from '../streams/define.js';
import { selectionOf, type StreamSelection } from './selection.js';
import type { JsonSchema } from '../streams/schema.js';

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
        'forced-replication-method': 'FULL_TABLE',
      };
      if (s.parent) root['parent-tap-stream-id'] = s.parent.stream;
      const schema = sampled?.get(s.name) ?? s.schema;
      return {
        tap_stream_id: s.name,
        stream: s.name,
        // The stream's description (what it needs, where it comes from) travels with its schema.
        schema: { description: s.description, ...schema },
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
  schemaOf: (stream: string) => JsonSchema | undefined,
  log: Logger,
): { names: string[]; selections: Map<string, StreamSelection> } {
  const names = selectedStreamNames(catalog);
  const selections = new Map<string, StreamSelection>();
  for (const entry of catalog.streams) {
    const fallback = schemaOf(entry.tap_stream_id);
    if (names.includes(entry.tap_stream_id) && fallback)
      selections.set(entry.tap_stream_id, selectionOf(entry, fallback, log));
  }
  return { names, selections };
}

/** The names of the selected streams: `selected` on breadcrumb [] first, then the legacy stream flag. */
export function selectedStreamNames(catalog: Catalog): string[] {
  return catalog.streams
    .filter((entry) => {
      const root = entry.metadata?.find(
        (m) => Array.isArray(m.breadcrumb) && m.breadcrumb.length === 0,
      )?.metadata;
      if (root && typeof root['selected'] === 'boolean') return root['selected'];
      if (typeof entry.selected === 'boolean') return entry.selected;
      return false;
    })
    .map((entry) => entry.tap_stream_id);
}
