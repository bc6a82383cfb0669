/** A run in the app's words: one line, for the Sources page, its history and the live progress (sent formatted). */
import { totalRows, type RunRecord } from '../runs/records.js';

const MARK: Record<RunRecord['status'], string> = {
  running: '…',
  succeeded: '✓',
  failed: '✗',
  stopped: '■',
  interrupted: '⏸',
};

export function runLine(run: RunRecord): string {
  const started = `${run.started_at.replace('T', ' ').slice(0, 19)} UTC`;
  if (run.status === 'running') return `${MARK.running} running since ${started} (${run.trigger})`;
  const seconds = run.ended_at ? (Date.parse(run.ended_at) - Date.parse(run.started_at)) / 1000 : 0;
  return (
    `${MARK[run.status]} ${run.status} ${started}, ${seconds.toFixed(1)} s, ${totalRows(run)} rows, ` +
    `${run.requests} requests (${run.trigger})`
  );
}
