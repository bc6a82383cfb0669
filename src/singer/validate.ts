/**
 * What a Singer message must be before a target acts on it: each refusal one line naming the input line and the
 * stream, never a database error later (a SCHEMA whose key is no field of it would poison every later load).
 */
import { UserError } from '../errors.js';
import type { SingerMessage } from './messages.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A table version: a whole number ≥ 0 that a database can hold exactly. */
const isVersion = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

export function checkMessage(message: SingerMessage, line: number): void {
  const refuse = (what: string): never => {
    const stream =
      'stream' in message && typeof message.stream === 'string' ? ` of stream "${message.stream}"` : '';
    throw new UserError(`input line ${line}: ${message.type}${stream} ${what}`);
  };
  if (message.type !== 'STATE' && (typeof message.stream !== 'string' || message.stream === ''))
    refuse('has no "stream" name');
  switch (message.type) {
    case 'SCHEMA': {
      if (!isObject(message.schema)) refuse('has no "schema" object');
      const keys = message.key_properties ?? [];
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string' && k !== ''))
        refuse('"key_properties" must be a list of field names');
      const properties = message.schema.properties;
      if (isObject(properties))
        for (const key of keys)
          if (!(key in properties)) refuse(`names key property "${key}", which is not a field of its schema`);
      return;
    }
    case 'RECORD':
      if (!isObject(message.record)) refuse('"record" must be an object');
      if (message.version !== undefined && !isVersion(message.version))
        refuse(`"version" must be a whole number ≥ 0 (got ${JSON.stringify(message.version)})`);
      return;
    case 'ACTIVATE_VERSION':
      if (!isVersion(message.version))
        refuse(`"version" must be a whole number ≥ 0 (got ${JSON.stringify(message.version)})`);
      return;
    case 'STATE':
      if (!isObject(message.value)) refuse('"value" must be an object');
      return;
  }
}
