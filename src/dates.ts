/** The date forms users type (README "Configuration"): YYYY-MM-DD, ISO 8601 date-times, DD/MM/YYYY. */
import { ConfigError } from './errors.js';
import { redactor } from './redact.js';

const DAY_MS = 86_400_000;

function validDay(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** Returns the calendar day (`YYYY-MM-DD`) a value names, or throws a one-line ConfigError. */
export function parseDay(value: unknown, key: string): string {
  const text = typeof value === 'string' ? value.trim() : '';
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m && validDay(+m[1]!, +m[2]!, +m[3]!)) return text;
  m = /^(\d{4})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  // A date-time names the day as written: "first day of history", not an instant in UTC.
  if (m && validDay(+m[1]!, +m[2]!, +m[3]!) && !Number.isNaN(Date.parse(text.replace(' ', 'T'))))
    return text.slice(0, 10);
  m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
  if (m && validDay(+m[3]!, +m[2]!, +m[1]!)) return `${m[3]}-${m[2]}-${m[1]}`;
  // Quote the value only when short: a long one may be a secret pasted into the wrong field.
  const shown = redactor.redact(String(value));
  const quoted = shown.length <= 32 ? JSON.stringify(shown) : `(a ${shown.length}-character value)`;
  throw new ConfigError(
    `${key} ${quoted} is not a date: use YYYY-MM-DD, an ISO 8601 date-time or DD/MM/YYYY`,
  );
}

/** The UTC day (`YYYY-MM-DD`) of an instant (epoch ms). */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The instant (epoch ms) a UTC day starts. */
export const dayStart = (day: string): number => Date.parse(`${day}T00:00:00Z`);

export function today(now = Date.now()): string {
  return dayOf(now);
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
