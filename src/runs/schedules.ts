/**
 * The service's triggers: each source of the directory with an enabled schedule starts a run on it (a tick that
 * finds the source still running is skipped: one run of a source at a time). Sources are read again every
 * `rescanMs` (and whenever asked), so a source added, edited, paused or removed in the web app or by hand is
 * scheduled as it now is, without a restart.
 */
import { Cron } from 'croner';
import type { Logger } from '../log.js';
import { machineTimeZone } from '../pipeline/source.js';
import type { RunService } from './service.js';

export class Schedules {
  private readonly jobs = new Map<string, { expression: string; timezone: string; cron: Cron }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly skipped = new Set<string>();

  constructor(
    private readonly service: RunService,
    private readonly log: Logger,
    private readonly rescanMs = 30_000,
  ) {}

  start(): void {
    this.rescan();
    this.timer = setInterval(() => this.rescan(), this.rescanMs);
    this.timer.unref();
  }

  /** Reads the sources again and brings the triggers in line with them. */
  rescan(): void {
    // A trigger is its expression in its time zone: a change of either makes it anew.
    const wanted = new Map<string, { expression: string; timezone: string }>();
    for (const name of this.service.sources.names()) {
      try {
        const raw = this.service.sources.raw(name);
        const source = this.service.sources.read(name);
        if (source.schedule && raw['schedule_paused'] !== true)
          wanted.set(name, { expression: source.schedule, timezone: source.timezone ?? machineTimeZone() });
      } catch (error) {
        if (!this.jobs.has(name)) continue;
        this.log.warn(`source "${name}" cannot be read (${(error as Error).message}); its schedule is off`);
      }
    }
    for (const [name, job] of this.jobs) {
      const want = wanted.get(name);
      if (want?.expression !== job.expression || want.timezone !== job.timezone) {
        job.cron.stop();
        this.jobs.delete(name);
      }
    }
    for (const [name, { expression, timezone }] of wanted) {
      if (this.jobs.has(name)) continue;
      const cron = new Cron(expression, { timezone }, () => this.tick(name));
      this.jobs.set(name, { expression, timezone, cron });
      this.log.info(
        `"${name}" scheduled "${expression}" (${timezone}); next run ${cron.nextRun()?.toISOString() ?? 'never'}`,
      );
    }
  }

  private tick(name: string): void {
    if (this.service.isRunning(name)) {
      // Once per run, not per tick: a per-second schedule would say it every second.
      if (!this.skipped.has(name)) this.log.info(`"${name}": tick skipped, its run is still going`);
      this.skipped.add(name);
      return;
    }
    this.skipped.delete(name);
    try {
      this.service.start(name, 'schedule');
    } catch (error) {
      this.log.error(`"${name}": scheduled run not started: ${(error as Error).message}`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const job of this.jobs.values()) job.cron.stop();
    this.jobs.clear();
  }
}
