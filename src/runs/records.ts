/**
 * Runs as records: each run of a source (by hand, on its schedule, a resume) is a JSON file under `<dir>/runs/`
 * with its log beside it, written whole (a temporary file, then rename) at each change of status, so a reader
 * never sees half a record and a killed service leaves a record that says `running` with the pid that ran it:
 * enough to tell an interrupted run on the next start. Kept as long as the source's `retention_days` (a run still
 * going is never pruned).
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export const RUN_TRIGGERS = ['manual', 'schedule', 'full-sync'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];
export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'stopped', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunRecord {
  id: string;
  source: string;
  trigger: RunTrigger;
  status: RunStatus;
  started_at: string;
  ended_at: string | null;
  /** API requests the run made (0 until it ends). */
  requests: number;
  /** Rows per table it made current (`layer.table`), empty until it succeeds. */
  rows: Record<string, number>;
  /** Why it failed, stopped or was interrupted (secrets redacted). */
  error: string | null;
  /** The process running it: a run recorded as running whose process is gone was interrupted. */
  pid: number | null;
  /** Something the reader should know (e.g. that a resume started over because its source changed). */
  note?: string;
  /** How many times it was resumed after an interruption (the service stopped or died during it). */
  resumed?: number;
  /** Records read so far per stream, while it runs (written every few seconds). */
  progress?: Record<string, number>;
  /** How the run went over time (for its picture), at most a few hundred samples. */
  timeline?: RunSample[];
  /** The source's budget when it ran (requests a minute). */
  budget_per_minute?: number;
}

/** What a run had done at one moment: requests sent, 429s answered, records per stream (all since its start). */
export interface RunSample {
  at: string;
  requests: number;
  throttled: number;
  records: Record<string, number>;
}

/** What the earlier legs of a resumed run did: its last sample, or its recorded end when that counted more. */
export function earlierLegs(run: RunRecord | undefined): RunSample {
  const last = run?.timeline?.at(-1);
  const requests = Math.max(run?.requests ?? 0, last?.requests ?? 0);
  return {
    at: last?.at ?? '',
    requests,
    throttled: last?.throttled ?? 0,
    records: { ...(last?.records ?? {}) },
  };
}

/** A sample of a resumed run's new leg, counted since the run's first start. */
export function after(before: RunSample, sample: RunSample): RunSample {
  const records = { ...before.records };
  for (const [stream, n] of Object.entries(sample.records)) records[stream] = (records[stream] ?? 0) + n;
  return {
    at: sample.at,
    requests: before.requests + sample.requests,
    throttled: before.throttled + sample.throttled,
    records,
  };
}

/** Total rows of a run, for one-line summaries. */
export const totalRows = (run: RunRecord): number => Object.values(run.rows).reduce((n, r) => n + r, 0);

export class RunStore {
  readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, 'runs');
  }

  /** A new run, recorded as running. */
  begin(source: string, trigger: RunTrigger, pid: number | null, now = new Date()): RunRecord {
    const stamp = now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const run: RunRecord = {
      id: `${stamp}-${source}-${randomBytes(3).toString('hex')}`,
      source,
      trigger,
      status: 'running',
      started_at: now.toISOString(),
      ended_at: null,
      requests: 0,
      rows: {},
      error: null,
      pid,
    };
    this.write(run);
    return run;
  }

  /** The record with `change` applied, written whole. */
  update(run: RunRecord, change: Partial<Omit<RunRecord, 'id' | 'source'>>): RunRecord {
    const next = { ...run, ...change };
    this.write(next);
    return next;
  }

  /** The run ended: its status, when, and what it did. */
  end(
    run: RunRecord,
    status: Exclude<RunStatus, 'running'>,
    change: Partial<
      Pick<RunRecord, 'requests' | 'rows' | 'error' | 'note' | 'progress' | 'timeline' | 'budget_per_minute'>
    > = {},
    now = new Date(),
  ): RunRecord {
    return this.update(run, { ...change, status, ended_at: now.toISOString() });
  }

  get(id: string): RunRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.fileOf(id), 'utf8')) as RunRecord;
    } catch {
      return undefined;
    }
  }

  /** Newest first; of one source when given. */
  list(source?: string): RunRecord[] {
    if (!existsSync(this.dir)) return [];
    const runs: RunRecord[] = [];
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith('.json')) continue;
      const run = this.get(file.slice(0, -'.json'.length));
      if (run && (source === undefined || run.source === source)) runs.push(run);
    }
    return runs.sort((a, b) => (a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : 0));
  }

  /** The run's log file (lines as the run wrote them, secrets redacted). */
  logOf(run: Pick<RunRecord, 'id'>): string {
    return join(this.dir, `${run.id}.log`);
  }

  readLog(run: Pick<RunRecord, 'id'>): string {
    try {
      return readFileSync(this.logOf(run), 'utf8');
    } catch {
      return '';
    }
  }

  /** Drops the ended runs of a source older than `days` (and their logs). */
  prune(source: string, days: number, now = Date.now()): number {
    let dropped = 0;
    for (const run of this.list(source)) {
      if (run.status === 'running' || run.ended_at === null) continue;
      if (now - Date.parse(run.ended_at) <= days * 86_400_000) continue;
      rmSync(this.fileOf(run.id), { force: true });
      rmSync(this.logOf(run), { force: true });
      dropped += 1;
    }
    return dropped;
  }

  private fileOf(id: string): string {
    if (!/^[\w.-]+$/.test(id)) throw new Error(`"${id}" is not a run id`);
    return join(this.dir, `${id}.json`);
  }

  private write(run: RunRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const file = this.fileOf(run.id);
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(run, null, 2) + '\n', { mode: 0o600 });
    renameSync(temporary, file);
  }
}
