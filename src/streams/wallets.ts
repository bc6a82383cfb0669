import { defineStream } from './define.js';
import { fromNames } from './records.js';
import { key, record } from './schema.js';

export const wallets = defineStream({
  name: 'wallets',
  description: 'Wallets ("carteiras") (GET /v2/wallets); the API returns names only.',
  path: '/v2/wallets',
  // §5.8: {"wallets": ["name", ...]}; objects with a name are accepted too.
  records: fromNames('wallets'),
  paging: { kind: 'single' },
  keys: ['name'],
  // The API sends names only (§5.8): the name is the key, and two wallets with one name are reported.
  keyIsName: true,
  schema: record({ name: key('Wallet name') }),
});
