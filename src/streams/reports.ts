import { defineStream } from './define.js';
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
  window: (config) => ({ startDay: config.start_date, endDay: config.end_date }),
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
