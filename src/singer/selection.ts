/**
 * Field selection from a Singer catalog, resolved the way the Meltano SDK resolves it: `unsupported` is never
 * selected; `automatic` always is (a `selected: false` on it is ignored, with a warning); else `selected`;
 * else `selected-by-default`; else the parent breadcrumb's answer. A deselected property leaves the SCHEMA
 * and every record; the catalog's own schema (Meltano's `schema:` extras) is the one the tap emits.
 */
import type { JsonSchema } from '../streams/schema.js';
import type { Logger } from '../log.js';
import type { CatalogEntry } from './catalog.js';

export interface StreamSelection {
  /** What the tap emits as the stream's SCHEMA. */
  schema: JsonSchema;
  /** Property paths (`['job', 'phone']`) removed from every record. */
  removed: string[][];
}

type Metadata = Map<string, Record<string, unknown>>;
const crumb = (breadcrumb: readonly string[]): string => JSON.stringify(breadcrumb);

function metadataOf(entry: CatalogEntry): Metadata {
  const out: Metadata = new Map();
  for (const m of entry.metadata ?? [])
    if (Array.isArray(m.breadcrumb) && m.metadata && typeof m.metadata === 'object')
      out.set(crumb(m.breadcrumb), m.metadata);
  return out;
}

/** Whether a breadcrumb is selected (the SDK's `is_property_selected`). */
export function isSelected(
  metadata: Metadata,
  breadcrumb: readonly string[],
  warn: (m: string) => void,
): boolean {
  if (metadata.size === 0) return true;
  const parent = breadcrumb.length > 0 ? isSelected(metadata, breadcrumb.slice(0, -2), warn) : undefined;
  if (parent === false) return false;
  const md = metadata.get(crumb(breadcrumb)) ?? {};
  if (md['inclusion'] === 'unsupported') return false;
  if (md['inclusion'] === 'automatic') {
    if (md['selected'] === false)
      warn(`${breadcrumb.filter((_, i) => i % 2 === 1).join('.')} is a key (automatic): it stays selected`);
    return true;
  }
  if (typeof md['selected'] === 'boolean') return md['selected'];
  if (typeof md['selected-by-default'] === 'boolean') return md['selected-by-default'];
  return parent ?? false;
}

/** The catalog's schema for a stream, with deselected properties (at any depth) removed. */
export function selectionOf(entry: CatalogEntry, fallback: JsonSchema, log: Logger): StreamSelection {
  const metadata = metadataOf(entry);
  const removed: string[][] = [];
  const warned = new Set<string>();
  const warn = (m: string): void => {
    if (!warned.has(m)) log.warn(`${entry.tap_stream_id}: ${m}`);
    warned.add(m);
  };
  const prune = (schema: JsonSchema, path: string[]): JsonSchema => {
    if (!schema.properties) return schema;
    const properties: Record<string, JsonSchema> = {};
    for (const [name, sub] of Object.entries(schema.properties)) {
      const at = [...path, name];
      if (
        !isSelected(
          metadata,
          at.flatMap((p) => ['properties', p]),
          warn,
        )
      )
        removed.push(at);
      else properties[name] = prune(sub, at);
    }
    return { ...schema, properties };
  };
  const given =
    entry.schema && typeof entry.schema === 'object' && entry.schema.properties ? entry.schema : fallback;
  return { schema: prune(given, []), removed };
}

/** A record without the deselected properties (the record is not changed). */
export function project(
  record: Record<string, unknown>,
  removed: readonly string[][],
): Record<string, unknown> {
  if (removed.length === 0) return record;
  const out = { ...record };
  for (const path of removed) {
    let node: Record<string, unknown> | undefined = out;
    for (const name of path.slice(0, -1)) {
      const next: unknown = node?.[name];
      if (!next || typeof next !== 'object' || Array.isArray(next)) {
        node = undefined;
        break;
      }
      // Copy on the way down: the caller's nested objects stay as they were.
      const copy = { ...(next as Record<string, unknown>) };
      node[name] = copy;
      node = copy;
    }
    if (node) delete node[path[path.length - 1]!];
  }
  return out;
}
