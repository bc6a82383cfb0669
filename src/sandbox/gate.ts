/**
 * What stands before the routes, in the order the live API seems to apply it (§3.2: 429 comes before
 * routing): the per-token rate limit, injected faults (slow answers, resets, HTML 5xx, truncated bodies),
 * then authentication.
 */
import { Rng } from './random.js';

export interface FaultOptions {
  /** Share of requests answered 500/502/503 with an HTML page. */
  serverErrors?: number;
  /** Share of requests whose connection is reset before any answer. */
  resets?: number;
  /** Share of 200 answers whose JSON body is cut short. */
  truncated?: number;
  /** Share of requests answered only after `ms`. */
  slow?: { share: number; ms: number };
  /** Requests number `from` (1-based) to `from + count - 1` answer 429, whatever the bucket says. */
  rateLimitStorm?: { from: number; count: number };
  /** Paged endpoints ignore `page` and always answer the first page. */
  repeatPages?: boolean;
  /** Only these paths get faults (default: every path). */
  paths?: string[];
}

/** Things a test may change while the sandbox runs. */
export interface SandboxControl {
  tokenRevoked: boolean;
  faults: FaultOptions;
  plan: 'advanced' | 'pro';
}

/** The faults one request meets, decided up front from the fault seed and the request's number. */
export interface RequestFaults {
  delayMs: number;
  slow: boolean;
  reset: boolean;
  /** An HTML error status to answer instead of routing. */
  serverError?: number;
  /** Cut a 200 answer's body short. */
  truncate: boolean;
}

class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly perMs: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export const HTML_ERROR = (status: number): string =>
  `<html><head><title>${status} Bad Gateway</title></head><body><center><h1>${status}</h1></center><hr><center>nginx</center></body></html>`;

export interface GateOptions {
  /** Requests per minute per token; 0 or Infinity turns the limit off. */
  requestsPerMinute: number;
  burst: number;
  latencyMs: number;
  latencyJitterMs: number;
  faultSeed: number;
  token: string;
  control: SandboxControl;
}

export class Gate {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly o: GateOptions) {}

  /** 429 for request number `n` with this Authorization header: in a storm, or the token's bucket is empty. */
  rateLimit(n: number, auth: string): 'storm' | 'bucket' | undefined {
    const storm = this.o.control.faults.rateLimitStorm;
    if (storm !== undefined && n >= storm.from && n < storm.from + storm.count) return 'storm';
    const rpm = this.o.requestsPerMinute;
    if (!(rpm > 0 && Number.isFinite(rpm))) return undefined;
    let bucket = this.buckets.get(auth);
    if (!bucket) this.buckets.set(auth, (bucket = new TokenBucket(rpm / 60_000, this.o.burst)));
    return bucket.take() ? undefined : 'bucket';
  }

  faults(n: number, path: string): RequestFaults {
    const { control, latencyMs, latencyJitterMs, faultSeed } = this.o;
    const faults = control.faults;
    const rng = new Rng(`${faultSeed}:fault:${n}`);
    const faultable = !faults.paths || faults.paths.includes(path);
    const latency = latencyMs + (latencyJitterMs ? Math.random() * latencyJitterMs : 0);
    const slow = faultable && faults.slow !== undefined && rng.chance(faults.slow.share);
    const reset = faultable && Boolean(faults.resets) && rng.chance(faults.resets!);
    const serverError =
      !reset && faultable && faults.serverErrors && rng.chance(faults.serverErrors)
        ? rng.pick([500, 502, 503])
        : undefined;
    const truncate = faultable && Boolean(faults.truncated) && rng.chance(faults.truncated!);
    return {
      delayMs: latency + (slow ? faults.slow!.ms : 0),
      slow,
      reset,
      ...(serverError !== undefined ? { serverError } : {}),
      truncate,
    };
  }

  /** The 401 answer for a missing, wrong or revoked token; undefined when the token is good. */
  authenticate(auth: string): unknown {
    const bearer = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!bearer) return { auth: false, message: 'No token provided.', errors: [] };
    if (bearer !== this.o.token || this.o.control.tokenRevoked) {
      return {
        message: 'Token inválido ou expirado',
        // Some middlewares echo what they were sent; a client must not print it back (redaction tests).
        errors: [{ field: 'Authorization', message: `invalid token: ${bearer}` }],
      };
    }
    return undefined;
  }
}
