import { defineStream } from './define.js';
import { fillKey, fromList } from './records.js';
import { array, key, object, record, string } from './schema.js';

export const employees = defineStream({
  name: 'employees',
  description: 'Employees (operators, managers, admins) (GET /v2/employees).',
  path: '/v2/employees',
  // §5.3: a bare array whose items carry `_id` or `id`; `id` is the key, filled from `_id` when missing.
  records: fromList('employees', fillKey('id', '_id')),
  paging: { kind: 'single' },
  keys: ['id'],
  schema: record({
    id: key('Employee ID; filled from `_id` when a payload has only that'),
    _id: string(),
    name: string(),
    email: string(),
    status: string(),
    role: string(),
    departments: array(object({ name: string() })),
  }),
});
