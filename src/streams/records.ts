/**
 * Where records sit in an answer. The sources disagree on envelopes (§2, §5), so each selector accepts
 * every shape reported: a bare array, `{key: [...]}`, or an object whose only array is the list.
 */
import { MalformedAnswer } from '../errors.js';
import type { PageResult, RecordSelector, Record_ } from './define.js';

function findList(body: unknown, key: string): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (!body || typeof body !== 'object') return undefined;
  const obj = body as Record<string, unknown>;
  for (const k of [key, 'data', 'docs', 'items', 'results'])
    if (Array.isArray(obj[k])) return obj[k] as unknown[];
  const arrays = Object.values(obj).filter(Array.isArray);
  return arrays.length === 1 ? (arrays[0] as unknown[]) : undefined;
}

/** What tells one item from another cheaply: an object's first few values (ids come first), else the item. */
const identity = (item: unknown): string =>
  JSON.stringify(item && typeof item === 'object' ? Object.values(item).slice(0, 4) : item).slice(0, 200);

/** Says whether a page is the previous one again (an API that ignores `page`), without serialising it. */
function fingerprintOf(items: unknown[]): string {
  if (items.length === 0) return '';
  return `${items.length}:${identity(items[0])}:${identity(items[items.length - 1])}`;
}

/** Fills a record's key from the other id field when the API sent only that one (`_id` vs `id`, §1.3). */
export const fillKey =
  (key: string, from: string) =>
  (item: Record_): Record_ =>
    item[key] === undefined && item[from] !== undefined ? { [key]: item[from], ...item } : item;

/** Object items from a list, each turned into a record by `map` (identity by default). */
export const fromList =
  (key: string, map: (item: Record_) => Record_ = (item) => item): RecordSelector =>
  (body): PageResult => {
    const items = findList(body, key);
    if (!items) throw new MalformedAnswer(`expected a list${key ? ` (or an object with "${key}")` : ''}`);
    const records = items.map((item) => {
      if (!item || typeof item !== 'object' || Array.isArray(item))
        throw new MalformedAnswer('a list item is not an object');
      return map(item as Record_);
    });
    return { records, count: items.length, fingerprint: fingerprintOf(items) };
  };

/** A list of names (`{"wallets": ["Milene", ...]}`) as `{name}` records; objects with a name are kept whole. */
export const fromNames =
  (key: string): RecordSelector =>
  (body): PageResult => {
    const items = findList(body, key);
    if (!items) throw new MalformedAnswer(`expected "${key}" to be a list`);
    const records = items.map((item): Record_ => {
      if (typeof item === 'string') return { name: item };
      if (item && typeof item === 'object' && typeof (item as Record_)['name'] === 'string')
        return item as Record_;
      throw new MalformedAnswer(`a "${key}" item is neither a name nor an object with a name`);
    });
    return { records, count: items.length, fingerprint: fingerprintOf(items) };
  };

/** One encrypted page of history (`{"messages": "<JWE>"}`) as one record, decrypted when a key allows. */
export const encryptedPage =
  (key: string): RecordSelector =>
  async (body, ctx): Promise<PageResult> => {
    if (body !== null && (typeof body !== 'object' || Array.isArray(body)))
      throw new MalformedAnswer(`expected an object with "${key}"`);
    const jwe = body === null ? undefined : (body as Record_)[key];
    if (jwe === undefined || jwe === null || jwe === '') return { records: [], count: 0 };
    if (typeof jwe !== 'string') throw new MalformedAnswer(`"${key}" is not a string`);
    const page = await ctx.decrypt(jwe);
    const record: Record_ = { ...ctx.partition, page: ctx.page, ...page };
    delete record['count'];
    const result: PageResult = { records: [record] };
    if (page.count !== undefined) {
      result.count = page.count;
      result.fingerprint = page.data;
    }
    return result;
  };
