/**
 * From a stream's JSON Schema to DuckDB columns, and from a record to a row. Known fields get typed columns
 * (objects with known properties become STRUCTs, so `address.city` just works); whatever the schema does not
 * describe, or a value that does not fit its column, goes to the `_extra` JSON column: nothing is dropped.
 */
import { replaceNul } from '../singer/nul.js';

export type ColumnKind =
  | { kind: 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMPTZ' | 'JSON' }
  | { kind: 'STRUCT'; fields: Column[] };

export interface Column {
  name: string;
  type: ColumnKind;
}

export const SEQUENCE_COLUMN = '_sdc_sequence';
export const EXTRA_COLUMN = '_extra';

interface SchemaLike {
  type?: string | string[];
  format?: string;
  properties?: Record<string, SchemaLike>;
  anyOf?: SchemaLike[];
  oneOf?: SchemaLike[];
}

function typesOf(schema: SchemaLike): string[] {
  const direct = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const nested = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].flatMap(typesOf);
  return [...new Set([...direct, ...nested])].filter((t) => t !== 'null');
}

export function columnKind(schema: SchemaLike): ColumnKind {
  const types = typesOf(schema);
  if (types.length !== 1)
    return types.length === 0
      ? { kind: 'JSON' }
      : types.every((t) => t === 'integer' || t === 'number')
        ? { kind: 'DOUBLE' }
        : { kind: 'VARCHAR' };
  switch (types[0]) {
    case 'string':
      return { kind: schema.format === 'date-time' ? 'TIMESTAMPTZ' : 'VARCHAR' };
    case 'integer':
      return { kind: 'BIGINT' };
    case 'number':
      return { kind: 'DOUBLE' };
    case 'boolean':
      return { kind: 'BOOLEAN' };
    case 'object': {
      const fields = columnsOf(schema);
      return fields.length ? { kind: 'STRUCT', fields } : { kind: 'JSON' };
    }
    default:
      return { kind: 'JSON' };
  }
}

/** Columns for an object schema; names equal but for case (DuckDB folds case) keep only the first. */
export function columnsOf(schema: SchemaLike): Column[] {
  const seen = new Set<string>();
  const out: Column[] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const folded = name.toLowerCase();
    // A field without a name can be no column: its values go to `_extra`, with everything undescribed.
    if (name === '' || seen.has(folded) || folded === SEQUENCE_COLUMN || folded === EXTRA_COLUMN) continue;
    seen.add(folded);
    out.push({ name, type: columnKind(property) });
  }
  return out;
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
/** A SQL string literal. */
export const quoteString = (text: string): string => `'${text.replace(/'/g, "''")}'`;

export function sqlType(type: ColumnKind): string {
  if (type.kind === 'STRUCT')
    return `STRUCT(${type.fields.map((f) => `${quoteIdent(f.name)} ${sqlType(f.type)}`).join(', ')})`;
  return type.kind;
}

/** The `columns={...}` argument of read_json for these columns plus the bookkeeping ones. */
export function readJsonColumns(columns: Column[]): string {
  const all = [
    ...columns.map((c) => [c.name, sqlType(c.type)]),
    [SEQUENCE_COLUMN, 'BIGINT'],
    [EXTRA_COLUMN, 'JSON'],
  ];
  return `{${all.map(([name, type]) => `${quoteString(name!)}: ${quoteString(type!)}`).join(', ')}}`;
}

const NOTHING = Symbol('nothing');

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/;

/**
 * A date-time DuckDB reads: Date.parse alone also takes 30 February (as 1 March) and hour 24, which DuckDB
 * refuses, and one refused value would fail the whole batch.
 */
function isTimestamp(text: string): boolean {
  const m = TIMESTAMP.exec(text);
  if (!m || Number.isNaN(Date.parse(text))) return false;
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= days && hour < 24 && minute < 60;
}

/** An object for field names from the API: without a prototype, `__proto__` is a field like any other. */
const bag = (): Record<string, unknown> => Object.create(null) as Record<string, unknown>;

/** A value as its column holds it, or NOTHING when it does not fit (then it goes to `_extra`). */
function fit(value: unknown, type: ColumnKind, extra: Record<string, unknown>): unknown {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'VARCHAR':
      return typeof value === 'string'
        ? value
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    case 'BIGINT':
      return Number.isSafeInteger(value) ? value : NOTHING;
    case 'DOUBLE':
      return typeof value === 'number' && Number.isFinite(value) ? value : NOTHING;
    case 'BOOLEAN':
      return typeof value === 'boolean' ? value : NOTHING;
    case 'TIMESTAMPTZ':
      return typeof value === 'string' && isTimestamp(value) ? value : NOTHING;
    case 'JSON':
      return value;
    case 'STRUCT': {
      if (typeof value !== 'object' || Array.isArray(value)) return NOTHING;
      const row = splitRecord(value as Record<string, unknown>, type.fields, extra);
      return row;
    }
  }
}

/**
 * The row for a record: known fields fitted to their columns; the rest (at any depth) collected into
 * `extra`, mirroring the record's shape.
 */
export function splitRecord(
  record: Record<string, unknown>,
  columns: Column[],
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const row = bag();
  const known = new Map(columns.map((c) => [c.name, c]));
  for (const [name, value] of Object.entries(record)) {
    const column = known.get(name);
    if (!column) {
      extra[name] = value;
      continue;
    }
    const nestedExtra = bag();
    const fitted = fit(value, column.type, nestedExtra);
    if (fitted === NOTHING) extra[name] = value;
    else {
      row[name] = fitted;
      if (Object.keys(nestedExtra).length) extra[name] = nestedExtra;
    }
  }
  return row;
}

/** One NDJSON line for read_json: the row, its sequence number, and `_extra` when anything did not fit. */
export function rowLine(record: Record<string, unknown>, columns: Column[], sequence: number): string {
  const extra = bag();
  const row = splitRecord(record, columns, extra);
  row[SEQUENCE_COLUMN] = sequence;
  if (Object.keys(extra).length) row[EXTRA_COLUMN] = extra;
  // The catalog holds no U+0000 (singer/nul.ts): DuckDB would keep it, but the engines reading it may not.
  return replaceNul(JSON.stringify(row)) + '\n';
}
