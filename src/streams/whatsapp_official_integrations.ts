import { defineStream } from './define.js';
import { fromList } from './records.js';
import { key, record, string } from './schema.js';

export const whatsappOfficialIntegrations = defineStream({
  name: 'whatsapp_official_integrations',
  description: 'Official WhatsApp (Cloud API) integrations (GET /v2/whatsapp/integrations/official).',
  path: '/v2/whatsapp/integrations/official',
  records: fromList('integrations'),
  paging: { kind: 'single' },
  keys: ['key'],
  schema: record({
    key: key('Official integration key'),
    label: string('Integration label'),
    phone_number_id: string('WhatsApp Business phone number id'),
    quality_rating: string('e.g. GREEN, YELLOW, RED'),
  }),
});
