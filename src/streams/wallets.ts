import { defineStream } from './define.js';
import { fromNames } from './records.js';
import { record, string } from './schema.js';

export const wallets = defineStream({
  name: 'wallets',
  description: 'Wallets ("carteiras") (GET /v2/wallets); the API returns names only.',
  path: '/v2/wallets',
  // §5.8: {"wallets": ["name", ...]}; objects with a name are accepted too.
  records: fromNames('wallets'),
  paging: { kind: 'single' },
  keys: ['name'],
  schema: record({ name: string('Wallet name') }),
});
