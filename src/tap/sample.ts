/**
 * `--discover` with `discover_sample: true`: one page of each stream (a child's for its parent's first
 * record; a derived stream from its base's page, at no cost), and every field seen that a schema does not
 * list is added with the type it showed, so a schema-driven target makes a column for it. At most one request
 * per stream; a stream that cannot be read (a missing setting, a plan without it) keeps its schema.
 */
import type { TapConfig } from '../config.js';
import { decryptHistory, loadHistoryKey } from '../crypto/jwe.js';
import type { Logger } from '../log.js';
import {
  isChild,
  isDerived,
  isRunnable,
  type ReadStream,
  type Record_,
  type StreamDefinition,
} from '../streams/define.js';
import { streamByName } from '../streams/index.js';
import type { JsonSchema } from '../streams/schema.js';
import { StreamReader } from './reader.js';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** The JSON Schema a value suggests (always nullable: one record proves little). */
export function inferSchema(value: unknown): JsonSchema {
  if (value === null || value === undefined) return {};
  if (typeof value === 'boolean') return { type: ['boolean', 'null'] };
  if (typeof value === 'number') return { type: [Number.isInteger(value) ? 'integer' : 'number', 'null'] };
  if (typeof value === 'string')
    return ISO_DATE_TIME.test(value)
      ? { type: ['string', 'null'], format: 'date-time' }
      : { type: ['string', 'null'] };
  if (Array.isArray(value))
    return { type: ['array', 'null'], items: value.length ? inferSchema(value[0]) : {} };
  const properties: Record<string, JsonSchema> = {};
  for (const [k, v] of Object.entries(value as Record_)) properties[k] = inferSchema(v);
  return { type: ['object', 'null'], properties, additionalProperties: true };
}

/** The schema with every field of the records that it does not list, at any depth of known objects. */
export function widen(
  schema: JsonSchema,
  records: readonly Record_[],
): { schema: JsonSchema; added: string[] } {
  const added: string[] = [];
  const merge = (known: JsonSchema, value: unknown, path: string): JsonSchema => {
    if (!value || typeof value !== 'object' || Array.isArray(value) || !known.properties) return known;
    const properties = { ...known.properties };
    for (const [name, v] of Object.entries(value as Record_)) {
      const at = path ? `${path}.${name}` : name;
      const sub = properties[name];
      if (sub) properties[name] = merge(sub, v, at);
      else if (v !== null && v !== undefined) {
        properties[name] = {
          ...inferSchema(v),
          description: 'Seen in a sample of the account (discover_sample)',
        };
        added.push(at);
      }
    }
    return { ...known, properties };
  };
  let out = schema;
  for (const record of records) out = merge(out, record, '');
  return { schema: out, added };
}

/** Samples every stream that can run with this config; returns the widened schema of each. */
export async function sampleSchemas(
  streams: readonly StreamDefinition[],
  config: TapConfig,
  log: Logger,
): Promise<Map<string, JsonSchema>> {
  const key = config.private_key_jwk ? await loadHistoryKey(config.private_key_jwk) : undefined;
  const reader = new StreamReader({ config, log, burst: 3, decrypt: (jwe) => decryptHistory(jwe, key) });
  const pages = new Map<string, Record_[]>();
  const read = async (stream: ReadStream): Promise<Record_[]> => {
    const known = pages.get(stream.name);
    if (known) return known;
    let records: Record_[] = [];
    try {
      if (isChild(stream)) {
        const parent = streamByName(stream.parent.stream);
        const first = parent && !isDerived(parent) ? (await read(parent))[0] : undefined;
        const id = first ? stream.parent.key(first) : undefined;
        if (id)
          records =
            (await reader.firstPage(stream, { partition: { [stream.parent.param]: id } }))?.records ?? [];
      } else records = (await reader.firstPage(stream))?.records ?? [];
    } catch (error) {
      log.warn(`${stream.name}: not sampled (${(error as Error).message})`);
    }
    pages.set(stream.name, records);
    return records;
  };
  const out = new Map<string, JsonSchema>();
  for (const stream of streams) {
    if (!isRunnable(stream, config)) continue;
    let records: Record_[];
    if (isDerived(stream)) {
      const base = streamByName(stream.base);
      const scope = new Map<string, number>();
      records =
        base && !isDerived(base) ? (await read(base)).flatMap((r) => stream.derive(r, scope).records) : [];
    } else records = await read(stream);
    const { schema, added } = widen(stream.schema, records);
    if (added.length) log.info(`${stream.name}: the sample adds ${added.join(', ')}`);
    out.set(stream.name, schema);
  }
  log.info(`sampled the account with ${reader.client.requests} requests`);
  return out;
}
