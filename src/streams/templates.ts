import { defineStream } from './define.js';
import { fromList } from './records.js';
import { key, record, string } from './schema.js';

export const templates = defineStream({
  name: 'templates',
  description: 'Message templates (GET /v2/template/all).',
  // §5.7: /v2/templates was 404 live; /v2/template/all is what client code uses.
  path: '/v2/template/all',
  records: fromList('templates'),
  paging: { kind: 'single' },
  keys: ['id'],
  schema: record({
    id: key('Template ID'),
    title: string(),
    channel: string('e.g. whatsapp, email'),
    content: string(),
    content_media: string('Media type of the content'),
    status: string('Approval status, e.g. APPROVED'),
  }),
});
