/**
 * The paging styles of the API (docs/api-notes.md §2) as named strategies: each gets everything with the
 * fewest requests (the answer's own totals end the loop; no probe for an empty page when they exist), fetches
 * ahead concurrently once the page count is known, yields pages in order, and refuses to loop on an API that
 * ignores `page`.
 */
import { addDays } from '../dates.js';
import { ApiError, MalformedAnswer } from '../errors.js';
import type { ApiClient, Query } from './client.js';
import type { ResponseHeaders } from './transport.js';

export interface PageResult {
  records: Record<string, unknown>[];
  /** Items the API returned on this page, when known (an undecryptable history page is unknown). */
  count?: number;
  /** A short text that identifies the page's content, to detect an API that ignores `page`. */
  fingerprint?: string;
  /** Items the whole listing holds, when the answer says (for progress). */
  total?: number;
  /** On a listing's (or a date window's) first page: how many pages it has, when the answer says. */
  pages?: number;
  /** Invalid UTF-8 sequences in the answer (read as U+FFFD), when there were any. */
  invalidUtf8?: number;
}

export type Paging =
  | { kind: 'single' }
  /** `page`/`limit`; done when the total-pages header says so or, without it, on an empty page. */
  | { kind: 'pageNumbers'; limit: number; totalPagesHeader: string; totalItemsHeader?: string }
  /** Date windows of at most `windowDays` days, each paged until the answer's `pages`. */
  | { kind: 'dateWindows'; windowDays: number; limit: number; defaultDays: number }
  /** `page`/`limit` with no totals: done on an empty or short page. */
  | { kind: 'untilShortPage'; limit: number };

/** Inclusive calendar days (`YYYY-MM-DD`); without a start, the paging style's default span. */
export interface DayRange {
  startDay?: string | undefined;
  endDay: string;
}

export type ExtractPage = (body: unknown, page: number) => PageResult | Promise<PageResult>;

export interface ReadOptions {
  client: ApiClient;
  path: string;
  paging: Paging;
  query: Query;
  extract: ExtractPage;
  /** Pages fetched ahead at once when the page count is known. */
  lookahead: number;
  /** For date windows: the days to read. */
  window?: DayRange;
  /** What a refusal (401/402/403) means on this endpoint besides a bad token. */
  planAdvice?: string;
  /** Safety bound for pages without totals, and the setting that raises it. */
  maxPages: { pages: number; setting: string };
}

const describe = (o: ReadOptions, query: Query): string => {
  const partition = Object.entries(o.query).find(([k]) => k.endsWith('_id'));
  return `GET ${o.path}${partition ? ` (${partition[0]}=${String(partition[1])})` : ''}${query['start_date'] ? ` window ${String(query['start_date'])}..${String(query['end_date'])}` : ''}`;
};

async function fetchPage(
  o: ReadOptions,
  query: Query,
  page: number,
): Promise<{ result: PageResult; body: unknown; headers: ResponseHeaders }> {
  const { body, headers, invalidUtf8 } = await o.client.get(o.path, query, o.planAdvice);
  try {
    const result = await o.extract(body, page);
    if (invalidUtf8 > 0) result.invalidUtf8 = invalidUtf8;
    return { result, body, headers };
  } catch (error) {
    // Only an answer of the wrong shape is the API's fault; anything else is ours and surfaces as it is.
    if (!(error instanceof MalformedAnswer)) throw error;
    throw new ApiError(`${describe(o, query)} page ${page}: malformed answer: ${error.message}`);
  }
}

/** Runs `fn` over `items` with up to `concurrency` at once, yielding results in input order. */
export async function* orderedMap<T, R>(
  items: Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const iterator = items[Symbol.iterator]();
  const window: Promise<R>[] = [];
  const fill = (): void => {
    while (window.length < Math.max(1, concurrency)) {
      const next = iterator.next();
      if (next.done) return;
      const promise = fn(next.value);
      promise.catch(() => undefined); // awaited in order below; avoid an "unhandled" report meanwhile
      window.push(promise);
    }
  };
  fill();
  while (window.length) {
    const result = await window.shift()!;
    fill();
    yield result;
  }
}

/** A page number an answer echoes (header or body), when it is one. */
function positiveInt(value: unknown): number | undefined {
  const n = Number(value ?? NaN);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function* range(from: number, to: number): Generator<number> {
  for (let i = from; i <= to; i++) yield i;
}

function repeated(o: ReadOptions, query: Query, page: number): ApiError {
  return new ApiError(
    `${describe(o, query)} answered page ${page} with the same content as page ${page - 1}: the API seems to ignore \`page\`; stopping instead of looping`,
  );
}

/** Pages with a known count: fetch 2..pages ahead, in order, checking the API really moved on. */
async function* knownPages(
  o: ReadOptions,
  query: Query,
  pages: number,
  first: PageResult,
  pageOf: (body: unknown, headers: ResponseHeaders) => number | undefined,
): AsyncGenerator<PageResult> {
  let previous = first.fingerprint;
  if (pages > o.maxPages.pages)
    throw new ApiError(
      `${describe(o, query)} claims ${pages} pages, more than ${o.maxPages.pages}; not reading them (raise ${o.maxPages.setting} if this is real)`,
    );
  const fetched = orderedMap(range(2, pages), o.lookahead, async (page) => ({
    page,
    ...(await fetchPage(o, { ...query, page }, page)),
  }));
  for await (const { page, result, body, headers } of fetched) {
    const echoed = pageOf(body, headers);
    if ((echoed !== undefined && echoed !== page) || (result.fingerprint && result.fingerprint === previous))
      throw repeated(o, query, page);
    previous = result.fingerprint;
    if (result.records.length === 0) return;
    yield result;
  }
}

async function* pageNumbers(
  o: ReadOptions,
  paging: Extract<Paging, { kind: 'pageNumbers' }>,
): AsyncGenerator<PageResult> {
  const query = { ...o.query, page: 1, limit: paging.limit };
  const first = await fetchPage(o, query, 1);
  if (first.result.records.length === 0) return;
  const total = Number(paging.totalItemsHeader ? first.headers.get(paging.totalItemsHeader) : NaN);
  if (Number.isInteger(total) && total >= 0) first.result.total = total;
  const pages = Number(first.headers.get(paging.totalPagesHeader));
  if (Number.isInteger(pages) && pages >= 1) first.result.pages = pages;
  yield first.result;
  if (Number.isInteger(pages) && pages >= 1) {
    yield* knownPages(o, query, pages, first.result, (_, headers) => positiveInt(headers.get('x-page')));
    return;
  }
  // No totals: walk until an empty page (a short page may only mean the server caps the size).
  yield* walkPages(o, query, { limit: paging.limit, shortPageEnds: false }, first.result, 2);
}

async function* dateWindows(
  o: ReadOptions,
  paging: Extract<Paging, { kind: 'dateWindows' }>,
): AsyncGenerator<PageResult> {
  if (!o.window) throw new Error(`${o.path}: a date-windowed stream must declare its window`);
  const { endDay } = o.window;
  const start = o.window.startDay ?? addDays(endDay, -(paging.defaultDays - 1));
  for (let from = start; from <= endDay;) {
    const windowEnd = addDays(from, paging.windowDays - 1);
    const to = windowEnd < endDay ? windowEnd : endDay;
    const query = { ...o.query, start_date: from, end_date: to, page: 1, limit: paging.limit };
    const first = await fetchPage(o, query, 1);
    const body = first.body as Record<string, unknown> | null;
    const pages = Number(body && typeof body === 'object' ? body['pages'] : undefined);
    if (Number.isInteger(pages) && pages >= 1) first.result.pages = pages;
    if (first.result.records.length > 0) yield first.result;
    const bodyPage = (b: unknown): number | undefined =>
      positiveInt(b && typeof b === 'object' ? (b as Record<string, unknown>)['page'] : undefined);
    if (Number.isInteger(pages)) {
      if (pages > 1) yield* knownPages(o, query, pages, first.result, bodyPage);
    } else if (first.result.records.length >= paging.limit) {
      yield* walkPages(o, query, { limit: paging.limit, shortPageEnds: true }, first.result, 2);
    }
    from = addDays(to, 1);
  }
}

/**
 * Pages without a known count, one after another, until an empty page or (when a short page can mean the end)
 * a short one; a page equal to the one before, or more than `maxPages`, is an error rather than a loop.
 */
async function* walkPages(
  o: ReadOptions,
  query: Query,
  { limit, shortPageEnds }: { limit: number; shortPageEnds: boolean },
  previousPage: PageResult | undefined,
  fromPage: number,
): AsyncGenerator<PageResult> {
  let previous = previousPage?.fingerprint;
  for (let page = fromPage; ; page++) {
    if (page > o.maxPages.pages) {
      throw new ApiError(
        `${describe(o, query)}: more than ${o.maxPages.pages} pages without an end; stopping (the API may ignore \`page\`; raise ${o.maxPages.setting} if this is real)`,
      );
    }
    const { result } = await fetchPage(o, { ...query, page, limit }, page);
    if (result.records.length === 0 || result.count === 0) return;
    if (result.fingerprint !== undefined && result.fingerprint === previous) throw repeated(o, query, page);
    previous = result.fingerprint;
    yield result;
    // An unknown count (an undecryptable page) cannot say "short": ask for the next page.
    if (shortPageEnds && result.count !== undefined && result.count < limit) return;
  }
}

/** Yields every page of an endpoint, in order. */
export async function* readPages(o: ReadOptions): AsyncGenerator<PageResult> {
  const { paging } = o;
  switch (paging.kind) {
    case 'single': {
      const { result } = await fetchPage(o, o.query, 1);
      yield result;
      return;
    }
    case 'pageNumbers':
      yield* pageNumbers(o, paging);
      return;
    case 'dateWindows':
      yield* dateWindows(o, paging);
      return;
    case 'untilShortPage':
      yield* walkPages(o, o.query, { limit: paging.limit, shortPageEnds: true }, undefined, 1);
      return;
  }
}
