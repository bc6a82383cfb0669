// The loader's floor for the `floors` scenario: DuckDB alone reading the same Singer file into a table with the
// same column types (the loader's own STRUCTs), with read_json, and nothing else.
// Usage: node floor-load.mjs <db> <singer file> <stream> <struct type>
import process from 'node:process';
import { DuckDBInstance } from '@duckdb/node-api';

const [db, file, stream, struct] = process.argv.slice(2);
const instance = await DuckDBInstance.create(db);
const connection = await instance.connect();
const quote = (s) => `'${s.replace(/'/g, "''")}'`;
await connection.run(
  `CREATE TABLE t AS SELECT unnest(record) FROM read_json(${quote(file)}, format = 'newline_delimited', ` +
    `columns = {type: 'VARCHAR', stream: 'VARCHAR', record: ${quote(struct)}}) WHERE type = 'RECORD' AND stream = ${quote(stream)}`,
);
const reader = await connection.runAndReadAll('SELECT count(*) AS n FROM t');
process.stdout.write(`${reader.getRowObjects()[0].n}\n`);
connection.closeSync();
instance.closeSync();
