/**
 * A source's trigger as people give it: a time of day typed as they type it ("14:30", "8h", "noon"), the days,
 * or a cron expression; in the source's time zone (the machine's unless it says). What the web app offers is
 * checked here: a trigger that never fires, or fires more often than every 5 minutes (the API allows ~48
 * requests a minute, so runs would overlap), is refused with the reason.
 */
import { Cron } from 'croner';
import { ConfigError } from '../errors.js';
import { checkSchedule } from './source.js';

/** The shortest time between two runs the app accepts. */
export const MIN_TRIGGER_GAP_MS = 5 * 60_000;

const NAMED: Record<string, [number, number]> = { noon: [12, 0], midday: [12, 0], midnight: [0, 0] };

/** A time of day as people type it: 14:30, 14h30, 8h, 8, 8am, 8:15 pm, noon, midnight. */
export function parseTimeOfDay(text: string): { hour: number; minute: number } {
  const typed = text.trim().toLowerCase();
  const named = NAMED[typed];
  if (named) return { hour: named[0], minute: named[1] };
  const match = /^(\d{1,2})(?:\s*[:h.]\s*(\d{2})?)?\s*(am|pm|a\.m\.|p\.m\.)?$/.exec(typed);
  let hour = match ? Number(match[1]) : NaN;
  const minute = match?.[2] ? Number(match[2]) : 0;
  const half = match?.[3]?.[0];
  if (half && hour >= 1 && hour <= 12) hour = (hour % 12) + (half === 'p' ? 12 : 0);
  else if (half) hour = NaN;
  if (!(hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59))
    throw new ConfigError(`"${text}" is not a time of day: write it like 14:30, 8h or noon`);
  return { hour, minute };
}

/** What the wizard's trigger fields say. */
export interface TriggerChoice {
  trigger: 'manual' | 'daily' | 'weekly' | 'times' | 'cron';
  time?: string;
  weekday?: string;
  times?: string;
  cron?: string;
}

/** The cron expression a choice makes ('' for manual only). */
export function cronOf(choice: TriggerChoice): string {
  switch (choice.trigger) {
    case 'daily':
    case 'weekly': {
      const { hour, minute } = parseTimeOfDay(choice.time || '03:00');
      return `${minute} ${hour} * * ${choice.trigger === 'weekly' ? (choice.weekday ?? '1') : '*'}`;
    }
    case 'times': {
      const times = (choice.times ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
        .map(parseTimeOfDay);
      if (times.length === 0) throw new ConfigError('no time given: write them like 08:00, 12:00, 18h');
      const minutes = new Set(times.map((t) => t.minute));
      if (minutes.size > 1)
        throw new ConfigError('the times must share their minutes (08:00, 12:00), or use a custom cron');
      return `${times[0]!.minute} ${[...new Set(times.map((t) => t.hour))].sort((a, b) => a - b).join(',')} * * *`;
    }
    case 'cron':
      return (choice.cron ?? '').trim();
    default:
      return '';
  }
}

/** A trigger the app may save: valid, firing, and no more often than every 5 minutes. */
export function checkTrigger(expression: string, timezone: string, from = new Date()): string {
  checkSchedule(expression);
  const cron = new Cron(expression, { paused: true, timezone });
  const runs = cron.nextRuns(12, from);
  cron.stop();
  if (runs.length === 0)
    throw new ConfigError(`schedule "${expression}" never fires: check its day and month`);
  for (let i = 1; i < runs.length; i++) {
    const gap = runs[i]!.getTime() - runs[i - 1]!.getTime();
    if (gap < MIN_TRIGGER_GAP_MS)
      throw new ConfigError(
        `schedule "${expression}" fires every ${gap < 60_000 ? `${gap / 1000} s` : `${gap / 60_000} min`}: at most once every 5 minutes (the API allows ~48 requests a minute, so runs would pile up)`,
      );
  }
  return expression;
}
