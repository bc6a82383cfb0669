/** Logs go to stderr (stdout carries Singer messages only), always through the redactor. */
import { redactor } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLogger(
  write: (line: string) => void = (line) => process.stderr.write(line),
  level: LogLevel = (process.env['LOG_LEVEL'] as LogLevel | undefined) ?? 'info',
): Logger {
  const emit = (at: LogLevel, message: string): void => {
    if (ORDER[at] < (ORDER[level] ?? 20)) return;
    write(`${at.toUpperCase()} ${redactor.redact(message)}\n`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
