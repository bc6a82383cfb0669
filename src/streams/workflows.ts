import { defineStream } from './define.js';
import { fromList } from './records.js';
import { record, string } from './schema.js';

export const workflows = defineStream({
  name: 'workflows',
  description: 'Workflows (funnels) and their stages (GET /v2/workflows).',
  path: '/v2/workflows',
  // §5.11: stages as `stages`, or (one extractor) as a `wallet` array of stage entries: accept both.
  records: fromList('workflows', (item) => ({
    ...item,
    stages: JSON.stringify(item['stages'] ?? item['wallet'] ?? []),
  })),
  paging: { kind: 'single' },
  keys: ['title'],
  schema: record({
    title: string('Workflow title'),
    stages: string('Workflow stages as a JSON array string'),
    company: string(),
  }),
});
