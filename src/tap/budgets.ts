/**
 * One request budget per account in a process: syncs of sources that read one account (the API counts
 * requests per account's token) share a limiter while they run, so together they never exceed it; sources of
 * different accounts each have their own and never wait for one another.
 */
import type { TapConfig } from '../config.js';
import { RateLimiter } from '../http/limiter.js';
import { accountOf } from './account.js';

const held = new Map<string, { limiter: RateLimiter; holders: number }>();

export interface Budget {
  limiter: RateLimiter;
  /** Whether another sync of the account was holding it already. */
  shared: boolean;
  release(): void;
}

/** The account's limiter, made at this config's budget when no sync of the account holds one. */
export function holdBudget(config: TapConfig, burst: number): Budget {
  const account = accountOf(config);
  let entry = held.get(account);
  const shared = entry !== undefined;
  if (!entry) {
    entry = {
      limiter: new RateLimiter({ requestsPerMinute: config.requests_per_minute, burst }),
      holders: 0,
    };
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
