/** Progress on stderr: a bar per stream on a terminal, plain periodic lines otherwise. */
import type { ProgressEvent } from '../tap/sync.js';

interface Line {
  records: number;
  done: boolean;
  partitionsDone?: number;
  partitionsSeen?: number;
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
    if (event.partitionsDone !== undefined) line.partitionsDone = event.partitionsDone;
    if (event.partitionsSeen !== undefined) line.partitionsSeen = event.partitionsSeen;
    this.lines.set(event.stream, line);
    this.dirty = true;
    if (this.tty) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.draw();
      }, 100);
    } else if (Date.now() - this.lastPrint >= this.everyMs) {
      this.lastPrint = Date.now();
      this.out.write(`progress: ${[...this.lines].map(([s, l]) => `${s} ${this.describe(l)}`).join('; ')}\n`);
    }
  }

  private describe(l: Line): string {
    const partitions =
      l.partitionsSeen !== undefined ? ` (${l.partitionsDone ?? 0}/${l.partitionsSeen} contacts)` : '';
    return `${l.records} records${partitions}${l.done ? ' done' : ''}`;
  }

  private draw(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const rows = [...this.lines].map(([stream, l]) => {
      const ratio = l.done ? 1 : l.partitionsSeen ? (l.partitionsDone ?? 0) / l.partitionsSeen : undefined;
      const width = 24;
      const bar =
        ratio === undefined ? '·'.repeat(width) : '█'.repeat(Math.round(ratio * width)).padEnd(width, '░');
      return `${stream.padEnd(31)} ${bar} ${this.describe(l)}`;
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
