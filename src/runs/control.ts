/**
 * How commands reach a running service: a Unix socket in its directory (`<dir>/conversas.sock`, owner-only), so
 * `conversas run`, `stop` and the like need no port and no token: whoever may read the directory's sources may
 * drive its runs, and nobody else. Small JSON over HTTP: `POST /run?source=S[&full=1]`, `POST /stop?source=S`,
 * `GET /service`; and `GET /budget` upgraded to a connection that lends budgets (budget-socket.ts).
 */
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import {
  borrowOverSocket,
  BUDGET_PATH,
  BUDGET_PROTOCOL,
  lendOverSocket,
  type ServiceBudget,
} from './budget-socket.js';
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

/** Borrows the budget of the service running in `root`; undefined when none runs there. */
export function connectServiceBudget(root: string): Promise<ServiceBudget | undefined> {
  const socketPath = socketOf(root);
  if (!existsSync(socketPath)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const req = request({
      socketPath,
      path: BUDGET_PATH,
      headers: { Connection: 'Upgrade', Upgrade: BUDGET_PROTOCOL },
      timeout: 10_000,
    });
    req.on('upgrade', (_res, socket: Socket, head: Buffer) => resolve(borrowOverSocket(socket, head)));
    // An older service, a socket nobody listens on: no budget to share.
    req.on('response', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
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
  // A sync started by hand borrows the service's budget over an upgraded connection (budget-socket.ts).
  const borrowers = new Set<Socket>();
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    if (req.url !== BUDGET_PATH) return socket.destroy();
    borrowers.add(socket);
    socket.once('close', () => borrowers.delete(socket));
    lendOverSocket(socket, head);
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
        for (const socket of borrowers) socket.destroy();
        rmSync(socketPath, { force: true });
      }),
  };
}
