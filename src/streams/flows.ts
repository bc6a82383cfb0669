import { defineStream } from './define.js';
import { fromList } from './records.js';
import { boolean, dateTime, key, record, string } from './schema.js';

export const flows = defineStream({
  name: 'flows',
  description: 'Chatbot flows (GET /v2/flows).',
  path: '/v2/flows',
  records: fromList('flows'),
  paging: { kind: 'single' },
  keys: ['id'],
  schema: record({
    id: key('Flow ID'),
    title: string('Flow title'),
    active: boolean('Whether the flow runs'),
    created_at: dateTime(),
  }),
});
