import { defineStream } from './define.js';
import { fromList } from './records.js';
import { key, record, string } from './schema.js';

export const whatsappIntegrations = defineStream({
  name: 'whatsapp_integrations',
  description:
    'WhatsApp integrations (GET /v2/whatsapp/integrations); the whole payload kept as JSON in `data`.',
  path: '/v2/whatsapp/integrations',
  // §5.9: a bare array (the n8n node expects {integrations: [...]}): both accepted.
  records: fromList('integrations', (item) => ({
    id: item['id'] ?? item['_id'] ?? null,
    data: JSON.stringify(item),
  })),
  paging: { kind: 'single' },
  keys: ['id'],
  schema: record({ id: key('Integration ID'), data: string('Full integration payload as a JSON string') }),
});
