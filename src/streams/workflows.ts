import { defineStream } from './define.js';
import { fromList } from './records.js';
import { array, integer, key, object, record, string } from './schema.js';

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
  // No id is known (§5.11): the title is the key, and two workflows with one title are reported.
  keyIsName: true,
  schema: record({
    title: key('Workflow title'),
    stages: string('Workflow stages as a JSON array string'),
    company: string(),
    wallet: array(object({ title: string(), order: integer() }), 'Stages as one extractor reads them'),
  }),
});
