// A reader for the `readable` scenario: like a dashboard, it opens the catalog's read file, runs a query and
// closes it, every 200 ms, until SIGTERM; then prints what it saw as JSON (queries, failures, durations).
// Usage: node reader.mjs <read file>
import { createRequire } from 'node:module';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';

const { DuckDBInstance } = createRequire(import.meta.url)('@duckdb/node-api');
const [file] = process.argv.slice(2);
const durations = [];
const failures = [];
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
while (!stopping) {
  const started = process.hrtime.bigint();
  try {
    const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    await connection.runAndReadAll(`SELECT count(*) FROM _conversas.versions WHERE status = 'current'`);
    connection.closeSync();
    instance.closeSync();
    durations.push(Number(process.hrtime.bigint() - started) / 1e6);
  } catch (error) {
    failures.push(String(error.message).split('\n')[0]);
  }
  await sleep(200);
}
durations.sort((a, b) => a - b);
const at = (q) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0;
process.stdout.write(
  JSON.stringify({
    queries: durations.length + failures.length,
    failures: failures.length,
    first_failure: failures[0] ?? null,
    p99_ms: at(0.99),
    max_ms: at(1),
  }) + '\n',
);
