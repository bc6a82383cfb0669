/** A run in the app's words: one line, for the Sources page, its history and the live progress (sent formatted). */
import { totalRows, type RunRecord } from '../runs/records.js';
import type { ProgressEvent } from '../tap/sync.js';

const MARK: Record<RunRecord['status'], string> = {
  running: '…',
  succeeded: '✓',
  failed: '✗',
  stopped: '■',
  interrupted: '⏸',
};

/** A stream's progress in one line: "messages: 120 records · 3/20 contacts ✓". */
export function progressLine(p: ProgressEvent): string {
  const of = p.partitionsTotal
    ? ` · ${p.partitionsDone ?? 0}/${p.partitionsTotal} contacts`
    : p.total
      ? ` of ${p.total}`
      : '';
  return `${p.stream}: ${p.records} records${of}${p.done ? ' ✓' : ''}`;
}

export function runLine(run: RunRecord): string {
  const started = `${run.started_at.replace('T', ' ').slice(0, 19)} UTC`;
  if (run.status === 'running') return `${MARK.running} running since ${started} (${run.trigger})`;
  const seconds = run.ended_at ? (Date.parse(run.ended_at) - Date.parse(run.started_at)) / 1000 : 0;
  return (
    `${MARK[run.status]} ${run.status} ${started}, ${seconds.toFixed(1)} s, ${totalRows(run)} rows, ` +
    `${run.requests} requests (${run.trigger})`
  );
}
