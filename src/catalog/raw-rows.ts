/**
 * RECORD lines that DuckDB parses itself: the loader writes a tap's lines as they came (with a sequence
 * number in front) and one SQL statement turns each `record` into the table's typed columns, with the fields
 * no column names in `_extra`. The rules are those of `rowLine` in columns.ts: a row that fits them exactly
 * is inserted here; a row with anything else (a value of another JSON type than its column's, a nested field
 * no STRUCT names, a timestamp DuckDB cannot read) is left to rowLine, which knows where each part goes.
 *
 * How: the record is parsed once by json_transform (text columns as text, numbers and booleans as their JSON
 * text, so that a value of another JSON type shows without parsing the record again) and once by
 * json_merge_patch with every known field deleted: what is left is `_extra`, or a nested field no STRUCT names.
 */
import { replaceNul } from '../singer/nul.js';
import { createReadStream } from 'node:fs';
import { basename, dirname } from 'node:path';
import { UserError } from '../errors.js';
import { readLines } from '../singer/reader.js';
import {
  EXTRA_COLUMN,
  quoteIdent,
  quoteString as sqlString,
  rowLine,
  SEQUENCE_COLUMN,
  type Column,
} from './columns.js';
import { Spool, type SpoolFile } from './spool.js';

/** The sequence number the loader puts in front of each line (the line's own fields follow). */
export const RAW_SEQUENCE_FIELD = '_sdc_sequence';

/** A RECORD line with its sequence number in front, ready for the batch file. */
export function rawLine(line: Buffer, sequence: number): (string | Buffer)[] {
  // No U+0000 in the catalog (singer/nul.ts); the rare line with one is made text to replace it.
  const body =
    line.includes(NUL_ESCAPE) || line.includes(0)
      ? replaceNul(line.toString('utf8')).slice(1)
      : line.subarray(1);
  return [`{"${RAW_SEQUENCE_FIELD}":${sequence},`, body, '\n'];
}

const NUL_ESCAPE = Buffer.from('\\u0000');

const TIMESTAMP_TEXT = `'^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}'`;
const JSON_INTEGER = `'^-?(0|[1-9][0-9]{0,15})$'`;
const JSON_NUMBER = `'^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?$'`;
const MAX_SAFE = '9007199254740991';

/** Kinds DuckDB would convert leniently ("5" into a number): read as JSON text, checked, then cast. */
const CHECKED = new Set(['BIGINT', 'DOUBLE', 'BOOLEAN']);

/**
 * The json_transform structure that reads the record in one parse: text and JSON columns as they are,
 * timestamps as their text, numbers and booleans as their JSON text, STRUCTs as objects of the same.
 */
function leaves(columns: Column[]): Record<string, unknown> {
  return Object.fromEntries(
    columns.map((c) => [
      c.name,
      c.type.kind === 'STRUCT'
        ? leaves(c.type.fields)
        : CHECKED.has(c.type.kind)
          ? 'JSON'
          : c.type.kind === 'TIMESTAMPTZ'
            ? 'VARCHAR'
            : c.type.kind,
    ]),
  );
}

/** The merge patch that deletes every known field at every depth (a STRUCT's entry is left as `{}`). */
function patch(columns: Column[]): Record<string, unknown> {
  return Object.fromEntries(
    columns.map((c) => [c.name, c.type.kind === 'STRUCT' ? patch(c.type.fields) : null]),
  );
}

const isPlain = (column: Column): boolean =>
  column.type.kind === 'STRUCT'
    ? column.type.fields.every(isPlain)
    : !CHECKED.has(column.type.kind) && column.type.kind !== 'TIMESTAMPTZ';

interface Field {
  column: Column;
  /** SQL for the field's transformed value. */
  ref: string;
  /** The field's JSONPath in the record. */
  path: string;
}

const child = (parent: { ref: string; path: string }, column: Column): Field => ({
  column,
  ref: `${parent.ref}.${quoteIdent(column.name)}`,
  path: `${parent.path}.${JSON.stringify(column.name)}`,
});

/**
 * SQL that is true when the field fits its column as rowLine fits it. Text and JSON columns take any value
 * (DuckDB writes a number in a text column as it reads it: rowLine would write 7.0 as "7").
 */
function fits(field: Field): string[] {
  const { column, ref } = field;
  const type = column.type;
  switch (type.kind) {
    case 'VARCHAR':
    case 'JSON':
      return [];
    case 'BIGINT':
      return [
        `(${ref} IS NULL OR (regexp_matches(${ref}::VARCHAR, ${JSON_INTEGER}) AND abs(TRY_CAST(${ref} AS BIGINT)) <= ${MAX_SAFE}))`,
      ];
    case 'DOUBLE':
      return [
        `(${ref} IS NULL OR (regexp_matches(${ref}::VARCHAR, ${JSON_NUMBER}) AND isfinite(TRY_CAST(${ref} AS DOUBLE))))`,
      ];
    case 'BOOLEAN':
      return [`(${ref} IS NULL OR ${ref}::VARCHAR IN ('true', 'false'))`];
    case 'TIMESTAMPTZ':
      // Read as text, a number or an object would not look like a date: only strings pass.
      return [
        `(${ref} IS NULL OR (regexp_matches(${ref}, ${TIMESTAMP_TEXT}) AND TRY_CAST(${ref} AS TIMESTAMPTZ) IS NOT NULL))`,
      ];
    case 'STRUCT': {
      const fields = type.fields.map((f) => child(field, f));
      // A value that is not an object reads as a STRUCT of nulls; one non-null field proves an object, and
      // only the rest (all null) need the record parsed again to tell {} from "text".
      const some = fields.map((f) => `${f.ref} IS NOT NULL`).join(' OR ');
      const object = `(${ref} IS NULL OR ${some} OR json_type(record, ${sqlString(field.path)}) = 'OBJECT')`;
      // What the patch left of this object: nothing but its STRUCT fields' own leftovers.
      const nested = type.fields.filter((f) => f.type.kind === 'STRUCT');
      const left = `json_extract(x, ${sqlString(field.path)})`;
      const unknown = nested.length
        ? `json_merge_patch(${left}, ${sqlString(JSON.stringify(Object.fromEntries(nested.map((f) => [f.name, null]))))}) = '{}'`
        : `${left}::VARCHAR = '{}'`;
      return [object, unknown, ...fields.flatMap(fits)];
    }
  }
}

/** SQL for the column's value, once it is known to fit. */
function value(field: Field): string {
  const { column, ref } = field;
  const type = column.type;
  if (type.kind !== 'STRUCT')
    return CHECKED.has(type.kind) || type.kind === 'TIMESTAMPTZ' ? `TRY_CAST(${ref} AS ${type.kind})` : ref;
  if (isPlain(column)) return ref;
  const packed = type.fields.map((f) => `${quoteIdent(f.name)} := ${value(child(field, f))}`);
  return `CASE WHEN ${ref} IS NULL THEN NULL ELSE struct_pack(${packed.join(', ')}) END`;
}

/** The rows of one batch file, parsed: `t` the record's fields, `x` what no column names (at any depth). */
function parsed(
  file: string,
  columns: Column[],
  objectSize: number,
): { from: string; fit: string; fields: Field[] } {
  const root = { ref: 't', path: '$' };
  const fields = columns.map((c) => child(root, c));
  const checks = fields.flatMap(fits);
  const from = `(SELECT ${quoteIdent(RAW_SEQUENCE_FIELD)} AS s, record, json_transform(record, ${sqlString(JSON.stringify(leaves(columns)))}) AS t, json_merge_patch(record, ${sqlString(JSON.stringify(patch(columns)))}) AS x
    FROM read_json(${sqlString(file)}, format = 'newline_delimited', columns = {${sqlString(RAW_SEQUENCE_FIELD)}: 'BIGINT', 'record': 'JSON'}, maximum_object_size = ${objectSize}))`;
  return { from, fit: checks.length ? `coalesce(${checks.join(' AND ')}, false)` : 'true', fields };
}

/** Inserts the rows of a batch file that fit; DuckDB answers with the count inserted. */
export function insertFittingSql(table: string, file: string, columns: Column[], objectSize: number): string {
  const { from, fit, fields } = parsed(file, columns, objectSize);
  const values = fields.map((f) => `${value(f)} AS ${quoteIdent(f.column.name)}`);
  const structs = columns.filter((c) => c.type.kind === 'STRUCT').map((c) => [c.name, null]);
  // The record's own unknown fields; the STRUCTs' entries (known to be `{}` here) go.
  const extra = structs.length
    ? `json_merge_patch(x, ${sqlString(JSON.stringify(Object.fromEntries(structs)))})`
    : 'x';
  return `INSERT INTO ${table} BY NAME SELECT ${values.join(', ')}, s AS ${SEQUENCE_COLUMN}, nullif(${extra}::VARCHAR, '{}')::JSON AS ${EXTRA_COLUMN} FROM ${from} WHERE ${fit}`;
}

/** The rows of a batch file that do not fit: their sequence number and record, for rowLine. */
export function misfitsSql(file: string, columns: Column[], objectSize: number): string {
  const { from, fit } = parsed(file, columns, objectSize);
  return `SELECT s, record::VARCHAR AS record FROM ${from} WHERE NOT ${fit} ORDER BY s`;
}

interface RawBatch {
  stream: string;
  file: SpoolFile;
  columns: Column[];
}

/** A file beside the batch's for rows made by rowLine. */
function rowsSpool(batch: RawBatch): Spool {
  return new Spool(dirname(batch.file.path), () => `${basename(batch.file.path)}.rows`);
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** The rows DuckDB left (their sequence numbers and records, as DuckDB hands them over), through rowLine. */
export async function misfitsAsRows(
  batch: RawBatch,
  misfits: AsyncIterable<{ sequence: number; record: string }>,
): Promise<SpoolFile | undefined> {
  const spool = rowsSpool(batch);
  for await (const { sequence, record } of misfits)
    spool.add([rowLine(JSON.parse(record) as Record<string, unknown>, batch.columns, sequence)]);
  return spool.take();
}

/**
 * Every line of a file DuckDB could not read, through rowLine; a line that is not a RECORD in JSON is a
 * UserError (the lines came as a tap wrote them). Undefined when the file holds no line.
 */
export async function rawFileAsRows(batch: RawBatch): Promise<SpoolFile | undefined> {
  const spool = rowsSpool(batch);
  let n = 0;
  for await (const lines of readLines(createReadStream(batch.file.path)))
    for (const line of lines) {
      if (!line.length) continue;
      n += 1;
      let message: Record<string, unknown> | undefined;
      try {
        message = asRecord(JSON.parse(line.toString('utf8')));
      } catch {
        message = undefined;
      }
      const record = asRecord(message?.['record']);
      if (!message || !record)
        throw new UserError(
          `a RECORD line of stream "${batch.stream}" is not JSON (record ${n} of its batch)`,
        );
      spool.add([rowLine(record, batch.columns, Number(message[RAW_SEQUENCE_FIELD]))]);
    }
  return spool.take();
}
