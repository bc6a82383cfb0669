/**
 * The budget over the directory's socket: a `conversas sync` started by hand while a service runs the
 * directory borrows the service's budget for its account, as the service's own runs do, so the two together
 * stay within what the API allows. The control socket (control.ts) upgrades a `GET /budget` to a plain
 * connection that carries the broker's messages (budget-broker.ts) as JSON lines.
 */
import type { Socket } from 'node:net';
import { borrowedBudget, lendBudgets, type ServiceChannel } from './budget-broker.js';
import type { BudgetSource } from '../tap/budgets.js';

export const BUDGET_PATH = '/budget';
export const BUDGET_PROTOCOL = 'conversas-budget';

/** JSON lines over a socket, as a message channel (what IPC gives a run's process). */
function lines(socket: Socket, head?: Buffer): ServiceChannel & { onClose(l: () => void): void } {
  const listeners = new Set<(message: unknown) => void>();
  let buffered = '';
  const feed = (data: Buffer | string): void => {
    buffered += data.toString();
    let end: number;
    while ((end = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        continue; // not ours: nothing to act on
      }
      for (const listener of listeners) listener(message);
    }
  };
  socket.on('data', feed);
  if (head?.length) feed(head);
  return {
    send: (message) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
    },
    on: (_event, listener) => void listeners.add(listener),
    off: (_event, listener) => void listeners.delete(listener),
    get connected() {
      return !socket.destroyed;
    },
    onClose: (listener) => void socket.once('close', listener),
  };
}

/** The service's side of an upgraded connection: lend it budgets until it closes. */
export function lendOverSocket(socket: Socket, head: Buffer): void {
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${BUDGET_PROTOCOL}\r\nConnection: Upgrade\r\n\r\n`,
  );
  const channel = lines(socket, head);
  // The HTTP server keeps half-open connections: a borrower that ends is gone.
  socket.on('end', () => socket.destroy());
  socket.on('error', () => socket.destroy());
  lendBudgets({ send: channel.send, onMessage: (l) => channel.on('message', l), onGone: channel.onClose });
}

export interface ServiceBudget {
  budget: BudgetSource;
  /** Told when the service goes away before `close` (the sync cannot go on within the shared budget). */
  onLost(listener: () => void): void;
  close(): void;
}

/** The borrower's side of an upgraded connection: budgets asked of the service before each request. */
export function borrowOverSocket(socket: Socket, head: Buffer): ServiceBudget {
  socket.setTimeout(0);
  socket.on('error', () => socket.destroy());
  const channel = lines(socket, head);
  let closing = false;
  return {
    budget: borrowedBudget(channel),
    onLost: (listener) => channel.onClose(() => closing || listener()),
    close: () => {
      closing = true;
      socket.destroy();
    },
  };
}
