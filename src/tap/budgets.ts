/**
 * One request budget per account in a process: syncs of sources that read one account (the API counts
 * requests per account's token) share a limiter while they run, so together they never exceed it; sources of
 * different accounts each have their own and never wait for one another. A service that runs each sync in a
 * process of its own keeps the budgets itself and lends them to its runs (runs/budget-broker.ts): a sync takes
 * its budget from a `BudgetSource`.
 */
import type { TapConfig } from '../config.js';
import { RateLimiter, type Limiter } from '../http/limiter.js';
import { accountOf } from './account.js';

const held = new Map<string, { limiter: RateLimiter; holders: number }>();

export interface Budget {
  limiter: Limiter;
  /** Whether another sync of the account was holding it already. */
  shared: boolean;
  release(): void;
}

/** Where a sync gets its budget: this process's (holdBudget) unless a service lends one. */
export type BudgetSource = (config: TapConfig, burst: number) => Budget;

/** The account's limiter, made at this config's budget when no sync of the account holds one. */
export const holdBudget: BudgetSource = (config, burst) =>
  holdAccountBudget(accountOf(config), config.requests_per_minute, burst);

/** The same, by account (what a service is told by its runs: never the token). */
export function holdAccountBudget(
  account: string,
  requestsPerMinute: number,
  burst: number,
): Budget & { limiter: RateLimiter } {
  let entry = held.get(account);
  const shared = entry !== undefined;
  if (!entry) {
    entry = { limiter: new RateLimiter({ requestsPerMinute, burst }), holders: 0 };
    held.set(account, entry);
  }
  entry.holders += 1;
  const mine = entry;
  let released = false;
  return {
    limiter: entry.limiter,
    shared,
    release: () => {
      if (released) return;
      released = true;
      mine.holders -= 1;
      if (mine.holders === 0 && held.get(account) === mine) held.delete(account);
    },
  };
}
