// The loader's floors for the `floors` scenario: DuckDB alone reading the same Singer file into a table with the
// same column types (the loader's own STRUCTs), with read_json, and writing it as Parquet (as the catalog keeps
// a table's version), and nothing else. With `-` for the file, the
// input comes on stdin, as it comes to `conversas load`: it is copied to a file as it arrives, and DuckDB reads
// that (the least any Singer target that hands DuckDB a pipe's lines can do).
// Usage: node floor-load.mjs <db> <singer file | -> <stream> <struct type>
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';

// Loaded as the loader loads it (catalog/store.ts): with require, the cheapest way.
const { DuckDBInstance } = createRequire(import.meta.url)('@duckdb/node-api');

const [db, input, stream, struct] = process.argv.slice(2);
let file = input;
if (input === '-') {
  file = `${db}.input`;
  const fd = openSync(file, 'w');
  for await (const chunk of process.stdin) writeSync(fd, chunk);
  closeSync(fd);
}
const instance = await DuckDBInstance.create(db);
const connection = await instance.connect();
const quote = (s) => `'${s.replace(/'/g, "''")}'`;
await connection.run(
  `CREATE TABLE t AS SELECT unnest(record) FROM read_json(${quote(file)}, format = 'newline_delimited', ` +
    `columns = {type: 'VARCHAR', stream: 'VARCHAR', record: ${quote(struct)}}) WHERE type = 'RECORD' AND stream = ${quote(stream)}`,
);
// Then written where the catalog keeps a table's version: a Parquet file (the loader writes one per version).
await connection.run(`COPY t TO ${quote(`${db}.parquet`)} (FORMAT parquet)`);
const reader = await connection.runAndReadAll('SELECT count(*) AS n FROM t');
process.stdout.write(`${reader.getRowObjects()[0].n}\n`);
connection.closeSync();
instance.closeSync();
rmSync(`${db}.parquet`, { force: true });
if (input === '-') rmSync(file);
