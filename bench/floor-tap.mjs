// The tap's floor for the `floors` scenario: the same pages of contacts the tap asks for, over node:http with a
// keep-alive agent, the same JSON parse and the same RECORD lines to stdout, and nothing else (no limiter,
// retries, selection, shaping or STATE). Usage: node floor-tap.mjs <api_url> <token> <stream> <path>
import { Buffer } from 'node:buffer';
import http from 'node:http';
import process from 'node:process';
import { URL } from 'node:url';

const [base, token, stream, path] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const get = (page) =>
  new Promise((resolve, reject) => {
    const url = new URL(`${base}${path}?page=${page}&limit=100`);
    http
      .get(
        url,
        { agent, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            resolve({ headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
          );
          res.on('error', reject);
        },
      )
      .on('error', reject);
  });
const version = Date.now();
const time = new Date(version).toISOString();
const emit = (records) => {
  let out = '';
  for (const record of records)
    out += JSON.stringify({ type: 'RECORD', stream, record, version, time_extracted: time }) + '\n';
  return new Promise((resolve) =>
    process.stdout.write(out) ? resolve() : process.stdout.once('drain', resolve),
  );
};
const first = await get(1);
await emit(first.body);
const pages = Number(first.headers['x-pages']);
// Four pages in flight, written in order, as the tap's lookahead does.
const inflight = [];
for (let page = 2; page <= pages || inflight.length;) {
  while (page <= pages && inflight.length < 4) inflight.push(get(page++));
  await emit((await inflight.shift()).body);
}
agent.destroy();
