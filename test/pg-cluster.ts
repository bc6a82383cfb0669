/**
 * A throw-away PostgreSQL cluster for a test: Debian's server (scripts/ensure-postgres.sh installs it), in a
 * temporary folder, listening on a Unix socket only (no TCP port to collide with), trusted local access. As
 * root the server runs as the `postgres` user (it refuses root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PgCluster {
  client(): Promise<pg.Client>;
  stop(): void;
}

function binDir(): string {
  if (process.env['PG_BINDIR']) return process.env['PG_BINDIR'];
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  return join('/usr/lib/postgresql', versions[0]!, 'bin');
}

export function startPgCluster(): PgCluster {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot ? Number(execFileSync('id', ['-u', 'postgres']).toString().trim()) : undefined;
  const gid = asRoot ? Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) : undefined;
  if (asRoot) {
    chownSync(dir, uid!, gid!);
    chmodSync(dir, 0o700);
  }
  const run = (tool: string, args: string[]): void => {
    const result = spawnSync(join(bin, tool), args, {
      ...(asRoot ? { uid: uid!, gid: gid! } : {}),
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr || result.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  // -w: pg_ctl returns once the server accepts connections (the event, not a time).
  run('pg_ctl', [
    '-D',
    data,
    '-w',
    '-t',
    '120',
    '-l',
    join(dir, 'log'),
    '-o',
    `-k ${dir} -c listen_addresses='' -p 5432 -F`,
    'start',
  ]);
  return {
    async client() {
      const client = new pg.Client({ host: dir, port: 5432, user: 'postgres', database: 'postgres' });
      await client.connect();
      return client;
    },
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
