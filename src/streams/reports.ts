import { addDays } from '../dates.js';
import { defineStream, type Record_, type RootStream } from './define.js';
import { fromList } from './records.js';
import { array, boolean, dateTime, integer, key, number, object, record, string } from './schema.js';

export const reports = defineStream({
  name: 'reports',
  description: 'Attendance reports ("protocolos") (GET /v4/reports), read in windows of at most 90 days.',
  path: '/v4/reports',
  // §5.6: {docs, pages}; limit max 49; start_date/end_date required, ≤ ~90 days apart; 90 days back by default.
  records: fromList('docs'),
  paging: { kind: 'dateWindows', windowDays: 90, limit: 49, defaultDays: 90 },
  // From start_date when set (else the last 90 days, about as far back as the API reaches) to end_date.
  window: (days) => days,
  // The window filters on the opening day (§5.6): an incremental run reads the attendances opened since the
  // last run (less the lookback); one opened earlier that is still going keeps its old row until a full pass.
  incremental: { replicationKey: 'created_at' },
  // An attendance still open changes after its opening day's window: an incremental run reads those too.
  alsoWhenIncremental: () => [openReports],
  keys: ['id'],
  schema: record({
    id: key('Report ID (24-hex observed live; an integer per the seed docs)'),
    title: string(),
    description: string(),
    createdAt: dateTime(),
    updatedAt: dateTime(),
    protocol: string(),
    channel: string(),
    to_tabulation: string(),
    to_department: string(),
    customer: object({
      id: string(),
      full_name: string(),
      cel_phone: string(),
      cpf: string(),
      email: string(),
      channel: string(),
      current_wallet: string(),
      tags: array(object({ name: string() })),
    }),
    employee: object({ id: string(), name: string() }),
    total_send_messages: integer(),
    total_receive_messages: integer(),
    tme: number(),
    tma: number(),
    opened: boolean(),
    closed: boolean(),
    transferred: boolean(),
    created_at: dateTime(),
    opened_at: dateTime(),
    closed_at: dateTime(),
    started_at: dateTime(),
    finished_at: dateTime(),
    company_id: string(),
    initiation_info: object({ initiated_by: string() }),
  }),
});

const time = (value: unknown): number => (typeof value === 'string' ? Date.parse(value) : NaN);

/** An attendance opened, or closed, at or after `since` (epoch ms). */
export const reportTouchedSince = (report: Record_, since: number): boolean =>
  time(report['opened_at'] ?? report['created_at']) >= since || time(report['closed_at']) >= since;

const known = (ms: number): number | undefined => (Number.isNaN(ms) ? undefined : ms);

/** When an attendance was opened (the listing's window filters on its opening day). */
export const reportOpenedAt = (report: Record_): number | undefined =>
  known(time(report['opened_at'] ?? report['created_at']));

/**
 * When an attendance closed; undefined while open. A report that says it is open, or names no close time, may
 * still change.
 */
export const reportClosedAt = (report: Record_): number | undefined =>
  report['closed'] === false || report['opened'] === true ? undefined : known(time(report['closed_at']));

/** The contact an attendance belongs to. */
export const reportCustomer = (report: Record_): string | undefined => {
  const id = (report['customer'] as Record_ | null | undefined)?.['id'];
  return id === undefined || id === null || id === '' ? undefined : String(id);
};

/**
 * §5.6: attendances still open, whenever they were opened: `status=opened&type=customers` over the last 89
 * days (what another client asks; a longer window is refused), and not before start_date (the table holds the
 * attendances opened since then). Unsure: whether `type` matters.
 */
export const openReports: RootStream = {
  ...reports,
  alsoWhenIncremental: undefined,
  query: () => ({ status: 'opened', type: 'customers' }),
  window: (days, config) => {
    const recent = addDays(days.endDay, -89);
    return {
      startDay: config.start_date && config.start_date > recent ? config.start_date : recent,
      endDay: days.endDay,
    };
  },
};

/** What changes when an open attendance gets a message: its counters (bot messages are not counted). */
export const reportFingerprint = (report: Record_): { id: string; value: number } => ({
  id: String(report['id'] ?? ''),
  value: 1 + (Number(report['total_send_messages']) || 0) + (Number(report['total_receive_messages']) || 0),
});
