/**
 * `conversas schedule`: runs a job on a cron trigger until stopped or until it has run `maxRuns` times. A tick
 * that comes while the previous run is still going is skipped (never two syncs of one source at once).
 */
import { Cron } from 'croner';
import type { Logger } from '../log.js';

export interface ScheduleOptions {
  expression: string;
  /** The time zone it runs in (the machine's when absent). */
  timezone?: string | undefined;
  /** One run; a failure is reported through `onFailure` and the schedule goes on. */
  run(): Promise<void>;
  onFailure(error: unknown): void;
  maxRuns?: number | undefined;
  signal: AbortSignal;
  log: Logger;
}

/** Resolves with the number of runs and failures once stopped (after the run in progress, if any, ends). */
export function runOnSchedule(o: ScheduleOptions): Promise<{ runs: number; failures: number }> {
  let runs = 0;
  let failures = 0;
  let current: Promise<void> | undefined;
  /** Ticks that came while the current run went on. */
  let skipped = 0;
  return new Promise((resolve) => {
    const stop = (): void => {
      job.stop();
      o.signal.removeEventListener('abort', stop);
      void (current ?? Promise.resolve()).then(() => resolve({ runs, failures }));
    };
    const job = new Cron(o.expression, o.timezone ? { timezone: o.timezone } : {}, () => {
      if (current) {
        // One line per run, not per tick: a per-second schedule would say it every second.
        if (skipped++ === 0) o.log.warn('tick skipped: the previous sync is still running');
        return;
      }
      skipped = 0;
      runs += 1;
      const n = runs;
      o.log.info(`scheduled sync ${n} started`);
      current = o
        .run()
        .then(
          () => o.log.info(`scheduled sync ${n} finished`),
          (error: unknown) => {
            failures += 1;
            o.onFailure(error);
          },
        )
        .finally(() => {
          current = undefined;
          if (skipped > 1) o.log.info(`${skipped} ticks skipped in all while scheduled sync ${n} ran`);
          if ((o.maxRuns !== undefined && runs >= o.maxRuns) || o.signal.aborted) stop();
        });
    });
    o.log.info(`scheduled "${o.expression}"; next run ${job.nextRun()?.toISOString() ?? 'never'}`);
    if (o.signal.aborted) stop();
    else o.signal.addEventListener('abort', stop, { once: true });
  });
}
