/** Singer messages from a byte stream (a tap's stdout piped in): one JSON object per line. */
import { createInterface } from 'node:readline';
import { UserError } from '../errors.js';
import type { SingerMessage } from './messages.js';

export async function* readSingerMessages(input: NodeJS.ReadableStream): AsyncGenerator<SingerMessage> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (!line.trim()) continue;
    let message: SingerMessage;
    try {
      message = JSON.parse(line) as SingerMessage;
    } catch {
      throw new UserError(
        `input line ${n} is not JSON (is something other than Singer messages on the tap's stdout?)`,
      );
    }
    if (!message || typeof message !== 'object' || typeof message.type !== 'string')
      throw new UserError(`input line ${n} is not a Singer message`);
    yield message;
  }
}
