/**
 * Progress on stderr: a bar per stream on a terminal, redrawn in place; otherwise a short line every few
 * seconds with the streams still running and counts that move. Fractions are of what the API says there is
 * (all contacts, not those seen so far) whenever it says.
 */
import type { ProgressEvent } from '../tap/sync.js';

interface Line {
  records: number;
  done: boolean;
  total?: number;
  partitionsDone?: number;
  partitionsSeen?: number;
  partitionsTotal?: number;
}

const BAR = 24;

/** How far a stream is, from 0 to 1, when that can be known. */
function ratio(l: Line): number | undefined {
  if (l.done) return 1;
  if (l.partitionsDone !== undefined) {
    const of = l.partitionsTotal ?? l.partitionsSeen;
    return of ? Math.min(1, l.partitionsDone / of) : undefined;
  }
  return l.total ? Math.min(1, l.records / l.total) : undefined;
}

/** `1,200/5,000 contacts, 2,100 records` or `1,200/5,000` or `40 records`. */
function counts(l: Line): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  if (l.partitionsDone !== undefined) {
    const of = l.partitionsTotal ?? l.partitionsSeen ?? 0;
    const more = l.partitionsTotal === undefined && !l.done ? '+' : '';
    return `${n(l.partitionsDone)}/${n(of)}${more} contacts, ${n(l.records)} records`;
  }
  return l.total !== undefined ? `${n(l.records)}/${n(l.total)} records` : `${n(l.records)} records`;
}

export class ProgressView {
  private readonly lines = new Map<string, Line>();
  private drawn = 0;
  private lastPrint = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly out: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean },
    private readonly everyMs = 5000,
  ) {}

  private get tty(): boolean {
    return Boolean(this.out.isTTY);
  }

  update(event: ProgressEvent): void {
    const line = this.lines.get(event.stream) ?? { records: 0, done: false };
    line.records = event.records;
    line.done ||= Boolean(event.done);
    for (const key of ['total', 'partitionsDone', 'partitionsSeen', 'partitionsTotal'] as const)
      if (event[key] !== undefined) line[key] = event[key];
    this.lines.set(event.stream, line);
    this.dirty = true;
    if (this.tty) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.draw();
      }, 100);
    } else if (Date.now() - this.lastPrint >= this.everyMs) {
      this.lastPrint = Date.now();
      this.out.write(this.summaryLine() + '\n');
    }
  }

  /** The plain line: how many streams are done, and where each running one stands. */
  summaryLine(): string {
    const all = [...this.lines];
    const running = all.filter(([, l]) => !l.done);
    const done = all.length - running.length;
    const parts = running.map(([stream, l]) => {
      const r = ratio(l);
      return `${stream} ${counts(l)}${r !== undefined ? ` (${Math.floor(r * 100)}%)` : ''}`;
    });
    return `progress: ${done}/${all.length} streams done${parts.length ? `; ${parts.join('; ')}` : ''}`;
  }

  private draw(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const rows = [...this.lines].map(([stream, l]) => {
      const r = ratio(l);
      const bar = r === undefined ? '·'.repeat(BAR) : '█'.repeat(Math.round(r * BAR)).padEnd(BAR, '░');
      return `${stream.padEnd(31)} ${bar} ${counts(l)}${l.done ? ' done' : ''}`;
    });
    const up = this.drawn ? `\x1b[${this.drawn}A` : '';
    this.out.write(up + rows.map((r) => `\x1b[2K${r}\n`).join(''));
    this.drawn = rows.length;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.tty && this.lines.size) this.draw();
  }
}
