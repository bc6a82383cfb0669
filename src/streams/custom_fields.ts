import { defineStream } from './define.js';
import { fromList } from './records.js';
import { key, record, string } from './schema.js';

export const customFields = defineStream({
  name: 'custom_fields',
  description: 'Custom fields usable as variables in templates (GET /v2/custom-fields, Beta).',
  path: '/v2/custom-fields',
  // §5.2: the shape is unknown; accept a bare array or {custom_fields: [...]}.
  records: fromList('custom_fields'),
  paging: { kind: 'single' },
  keys: ['id'],
  schema: record({
    id: key('Custom field ID'),
    key: string('Variable to reference in templates'),
    label: string(),
    info: string('Additional information'),
    type: string(),
  }),
});
