import { defineStream } from './define.js';
import { fromList } from './records.js';
import { record, string } from './schema.js';

export const whatsappOfficialIntegrations = defineStream({
  name: 'whatsapp_official_integrations',
  description: 'Official WhatsApp (Cloud API) integrations (GET /v2/whatsapp/integrations/official).',
  path: '/v2/whatsapp/integrations/official',
  records: fromList('integrations'),
  paging: { kind: 'single' },
  keys: ['key'],
  schema: record({ key: string('Official integration key'), label: string('Integration label') }),
});
