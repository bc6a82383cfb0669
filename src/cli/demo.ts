/** `--sandbox`: the simulator in-process, so a new user sees the whole pipeline work with no account. */
import { startSandbox, type Sandbox, type SandboxOptions } from '../sandbox/index.js';
import type { RawConfig } from '../config.js';

export interface Demo {
  sandbox: Sandbox;
  overrides: RawConfig;
  /** What the user should know about this run. */
  notice: string;
}

/** A small world and a budget high enough to finish in seconds (the real API allows ~48 requests/minute). */
export const DEMO_BUDGET_PER_MINUTE = 6000;

export async function startDemo(
  options: { contacts?: number; seed?: number; sandbox?: SandboxOptions } = {},
): Promise<Demo> {
  const sandbox = await startSandbox({
    requestsPerMinute: DEMO_BUDGET_PER_MINUTE,
    burst: 30,
    ...options.sandbox,
    world: { contacts: options.contacts ?? 300, seed: options.seed ?? 1, ...options.sandbox?.world },
  });
  const start = new Date(sandbox.world.now - 90 * 86_400_000).toISOString().slice(0, 10);
  return {
    sandbox,
    overrides: {
      access_token: sandbox.token,
      api_url: sandbox.url,
      private_key_jwk: sandbox.jwk.current,
      start_date: start,
      requests_per_minute: DEMO_BUDGET_PER_MINUTE,
    },
    notice:
      `sandbox at ${sandbox.url}: ${sandbox.world.options.contacts} contacts, history since ${start}, a budget of ` +
      `${DEMO_BUDGET_PER_MINUTE} requests/minute (the real API allows about 48, so a real account of this size takes longer)`,
  };
}
