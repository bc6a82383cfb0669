/**
 * How commands reach a running service: a Unix socket in its directory (`<dir>/conversas.sock`, owner-only), so
 * `conversas run`, `stop` and the like need no port and no token: whoever may read the directory's sources may
 * drive its runs, and nobody else. Small JSON over HTTP: `POST /run?source=S[&full=1]`, `POST /stop?source=S`,
 * `GET /service`.
 */
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { redactor } from '../redact.js';
import type { RunService } from './service.js';

/** Unix sockets take paths of at most 107 bytes on Linux. */
const MAX_SOCKET_PATH = 100;

export function socketOf(root: string): string {
  const path = join(root, 'conversas.sock');
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH)
    throw new UserError(
      `the directory's path is too long for its control socket (${path}): use a shorter --dir`,
    );
  return path;
}

export interface ServiceAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Asks the directory's service; undefined when none is running. */
export function askService(
  root: string,
  method: 'GET' | 'POST',
  path: string,
): Promise<ServiceAnswer | undefined> {
  const socketPath = socketOf(root);
  if (!existsSync(socketPath)) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        } catch {
          reject(new UserError(`the service in ${root} answered something that is not JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new UserError(`the service in ${root} did not answer in 30 s`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A socket left by a service that died: nobody is listening.
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve(undefined);
      else reject(error);
    });
    req.end();
  });
}

/** Listens on the directory's socket for `service`; refuses when another service already runs there. */
export async function serveControl(root: string, service: RunService): Promise<{ close(): Promise<void> }> {
  const socketPath = socketOf(root);
  const other = await askService(root, 'GET', '/service');
  if (other)
    throw new UserError(
      `a service already runs for ${root} (pid ${String(other.body['pid'])}): stop it first`,
    );
  rmSync(socketPath, { force: true });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://service');
    const answer = (status: number, body: Record<string, unknown>): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const source = url.searchParams.get('source') ?? '';
    void (async () => {
      if (req.method === 'GET' && url.pathname === '/service')
        return answer(200, { pid: process.pid, running: service.running() });
      if (req.method === 'POST' && url.pathname === '/run') {
        const trigger = url.searchParams.get('full') === '1' ? 'full-sync' : 'manual';
        return answer(200, { run: service.start(source, trigger) });
      }
      if (req.method === 'POST' && url.pathname === '/stop') {
        const run = await service.stop(source);
        if (!run) return answer(404, { error: `no run of "${source}" is going` });
        return answer(200, { run });
      }
      answer(404, { error: `no such request: ${req.method} ${url.pathname}` });
    })().catch((error: unknown) => {
      const message = redactor.redact(error instanceof Error ? error.message : String(error));
      answer(error instanceof UserError ? 409 : 500, { error: message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        rmSync(socketPath, { force: true });
      }),
  };
}
