/**
 * The runs as the Sources page follows them: one event stream for the whole service. A browser keeps at most
 * six connections to a host: a stream per run would leave the page none for its own requests (Run, Stop) once
 * five sources ran at once. On connect, each run going on is replayed (its latest progress per stream, its
 * log), and so is each run the page shows as going on (`?follow=a,b`: ended since, it replays to its end);
 * then every event of every run, and each run as it starts (its schedule, another tab, the command line).
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { RunEvent, RunService } from '../runs/service.js';
import { progressLine, runLine } from './runs.js';
import { inAppWords } from './words.js';

/** An event as the page shows it: the lines formatted here, not records for the page to format again. */
export function pageEvent(source: string, event: RunEvent): Record<string, unknown> {
  if (event.type === 'done')
    return {
      source,
      type: 'done',
      ok: event.run.status === 'succeeded',
      status: event.run.status,
      summary: event.summary,
      line: runLine(event.run),
      error: inAppWords(event.run.error ?? event.run.note ?? ''),
    };
  if (event.type === 'progress') return { source, ...event, line: progressLine(event.progress) };
  return { source, ...event };
}

export const runEvents = (runs: RunService) => (c: Context) =>
  streamSSE(c, async (stream) => {
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    const push = (data: Record<string, unknown>): void => {
      queue.push(JSON.stringify(data));
      wake?.();
    };
    const following = new Map<string, () => void>();
    const follow = (source: string): void => {
      following.get(source)?.();
      const stop = runs.watch(source, (event) => {
        push(pageEvent(source, event));
        if (event.type === 'done') following.get(source)?.();
      });
      following.set(source, stop);
    };
    const stopStarts = runs.onStart((source) => {
      push({ type: 'started', source });
      follow(source);
    });
    // The runs going on, and those the page shows as going on (ended since, they replay to their end).
    const shown = (c.req.query('follow') ?? '').split(',').filter(Boolean);
    for (const source of new Set([...runs.running().map((r) => r.source), ...shown])) follow(source);
    stream.onAbort(() => wake?.());
    await stream.writeSSE({ data: JSON.stringify({ type: 'ready' }) });
    while (!stream.aborted) {
      while (queue.length) await stream.writeSSE({ data: queue.shift()! });
      await new Promise<void>((resolve) => (wake = resolve));
    }
    stopStarts();
    for (const stop of following.values()) stop();
  });
