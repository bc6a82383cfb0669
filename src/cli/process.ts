/** Shared by both command lines: one clear, redacted line and an exit code for any failure. */
import { UserError } from '../errors.js';
import { redactor } from '../redact.js';

export function reportFailure(program: string, error: unknown): number {
  const debug = process.env['LOG_LEVEL'] === 'debug';
  if (error instanceof UserError) {
    process.stderr.write(`${program}: ${redactor.redact(error.message)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${program}: unexpected error: ${redactor.redact(message.split('\n')[0] ?? '')}\n`);
  if (debug && error instanceof Error && error.stack)
    process.stderr.write(redactor.redact(error.stack) + '\n');
  return 1;
}

/** SIGINT/SIGTERM abort the run (a final STATE is written); a second signal exits at once. */
export function abortOnSignals(
  controller: AbortController,
  makeReason: (signal: string) => Error,
): () => void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received) process.exit(130);
    received = true;
    controller.abort(makeReason(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * A failed write to stdout ends the program with one line, never a stack trace. `outcome` decides what it
 * means (the reader of a pipe went away, or the disk is full) and returns the exit code and the line, if any.
 */
export function guardStdout(
  program: string,
  outcome: (error: NodeJS.ErrnoException) => { code: number; line?: string },
): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    const { code, line } = outcome(error);
    if (line) process.stderr.write(`${program}: ${redactor.redact(line)}\n`);
    process.exit(code);
  });
}
