/**
 * Budgets across processes: a service runs each sync in a process of its own, but the API counts requests per
 * account, so the service keeps one limiter per account (tap/budgets.ts) and its runs borrow from it over their
 * IPC channel: a run asks before each request and is told when it may go. Runs of one account thus share its
 * budget; runs of different accounts never wait for each other. A sync started by hand (`conversas sync`) beside
 * the service borrows the same way over the directory's socket (budget-socket.ts). The account is sent as tap/account.ts names it
 * (the URL and the token's account claim, or a hash): never the token.
 */
import type { ChildProcess } from 'node:child_process';
import { accountOf } from '../tap/account.js';
import { holdAccountBudget, type Budget, type BudgetSource } from '../tap/budgets.js';

type BudgetMessage =
  | { kind: 'budget'; op: 'hold'; account: string; rpm: number; burst: number }
  | { kind: 'budget'; op: 'acquire'; id: number }
  | { kind: 'budget'; op: 'grant'; id: number }
  | { kind: 'budget'; op: 'throttled'; ms?: number }
  | { kind: 'budget'; op: 'succeeded' }
  | { kind: 'budget'; op: 'release' };

const isBudgetMessage = (m: unknown): m is BudgetMessage =>
  typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'budget';

/** A borrower as the service sees it: a run's process, or a sync started by hand on the directory's socket. */
export interface Borrower {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the borrower is gone (its process exited, its connection closed). */
  onGone(listener: () => void): void;
}

/** A run's process as a borrower (its IPC channel). */
export const childBorrower = (child: ChildProcess): Borrower => ({
  send: (message) => {
    if (child.connected) child.send(message as BudgetMessage, () => undefined);
  },
  onMessage: (listener) => void child.on('message', listener),
  onGone: (listener) => void child.once('exit', listener),
});

/** The service's side: lends the borrower the budget of the account it names, until it is gone. */
export function lendBudgets(borrower: Borrower): void {
  let budget: Budget | undefined;
  // A run that ends leaves no request waiting in a budget another run shares.
  const gone = new AbortController();
  const send = (message: BudgetMessage): void => borrower.send(message);
  borrower.onMessage((message: unknown) => {
    if (!isBudgetMessage(message)) return;
    switch (message.op) {
      case 'hold':
        budget?.release();
        budget = holdAccountBudget(message.account, message.rpm, message.burst);
        break;
      case 'acquire': {
        const { id } = message;
        budget?.limiter.acquire(gone.signal).then(
          () => send({ kind: 'budget', op: 'grant', id }),
          () => undefined,
        );
        break;
      }
      case 'throttled':
        budget?.limiter.throttled(message.ms);
        break;
      case 'succeeded':
        budget?.limiter.succeeded();
        break;
      case 'release':
        budget?.release();
        budget = undefined;
        break;
    }
  });
  borrower.onGone(() => {
    gone.abort(new Error('the run ended'));
    budget?.release();
  });
}

/** The channel a run has to its service (`process` in a forked child). */
export interface ServiceChannel {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  readonly connected: boolean;
}

/** The run's side: a budget that asks the service before each request. */
export function borrowedBudget(channel: ServiceChannel): BudgetSource {
  const send = (message: BudgetMessage): void => {
    if (channel.connected) channel.send(message);
  };
  return (config, burst) => {
    send({ kind: 'budget', op: 'hold', account: accountOf(config), rpm: config.requests_per_minute, burst });
    const waiting = new Map<number, () => void>();
    let next = 0;
    const onMessage = (message: unknown): void => {
      if (!isBudgetMessage(message) || message.op !== 'grant') return;
      waiting.get(message.id)?.();
    };
    channel.on('message', onMessage);
    const limiter = {
      throttles: 0,
      acquire(signal?: AbortSignal): Promise<void> {
        return new Promise<void>((resolve, reject) => {
          if (signal?.aborted) return reject(signal.reason as Error);
          const id = next++;
          const onAbort = (): void => {
            waiting.delete(id);
            reject(signal!.reason as Error);
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          waiting.set(id, () => {
            waiting.delete(id);
            signal?.removeEventListener('abort', onAbort);
            resolve();
          });
          send({ kind: 'budget', op: 'acquire', id });
        });
      },
      throttled(ms?: number): void {
        limiter.throttles += 1;
        send({ kind: 'budget', op: 'throttled', ...(ms === undefined ? {} : { ms }) });
      },
      succeeded(): void {
        send({ kind: 'budget', op: 'succeeded' });
      },
    };
    return {
      limiter,
      shared: false,
      release: () => {
        channel.off('message', onMessage);
        send({ kind: 'budget', op: 'release' });
      },
    };
  };
}
