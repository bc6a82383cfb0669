/**
 * What a stream is: data, checked by the compiler. A stream names its endpoint, how records sit in the
 * answer, its paging style, keys, schema and, for a child, its parent. Paging, retries, decryption,
 * Singer output and state exist once, elsewhere.
 */
import type { TapConfig } from '../config.js';
import type { HistoryPage } from '../crypto/jwe.js';
import type { Query } from '../http/client.js';
import type { PageResult, Paging } from '../http/paging.js';
import type { JsonSchema } from './schema.js';

export type { PageResult, Paging };

export type Record_ = Record<string, unknown>;

export interface ExtractContext {
  page: number;
  partition?: Record<string, string>;
  decrypt(jwe: string): Promise<HistoryPage>;
}

export type RecordSelector = (body: unknown, ctx: ExtractContext) => PageResult | Promise<PageResult>;

export interface ParentLink {
  stream: string;
  /** The parent record's key that names a partition. */
  key: (parent: Record_) => string | undefined;
  /** The query parameter that carries it. */
  param: string;
}

export interface StreamDefinition {
  name: string;
  description: string;
  path: string;
  keys: string[];
  schema: JsonSchema;
  records: RecordSelector;
  paging: Paging;
  /** Fixed query parameters, from config. */
  query?: (config: TapConfig) => Query;
  parent?: ParentLink;
  /** A config key without which the stream cannot run (and is not selected by default). */
  requires?: keyof TapConfig;
}

export const defineStream = (definition: StreamDefinition): StreamDefinition => definition;
