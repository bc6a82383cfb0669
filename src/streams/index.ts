/** The registry: a new stream is one file and one line here. */
import { contacts } from './contacts.js';
import { customFields } from './custom_fields.js';
import type { StreamDefinition } from './define.js';
import { employees } from './employees.js';
import { flows } from './flows.js';
import { messages } from './messages.js';
import { messagesHistory } from './messages_history.js';
import { reports } from './reports.js';
import { templates } from './templates.js';
import { wallets } from './wallets.js';
import { whatsappIntegrations } from './whatsapp_integrations.js';
import { whatsappOfficialIntegrations } from './whatsapp_official_integrations.js';
import { workflows } from './workflows.js';

export const STREAMS: readonly StreamDefinition[] = [
  contacts,
  customFields,
  employees,
  flows,
  messagesHistory,
  messages,
  reports,
  templates,
  wallets,
  whatsappIntegrations,
  whatsappOfficialIntegrations,
  workflows,
];

/**
 * What `--test` reads: one page of `token` proves the token; one page of `key`, for the first record of
 * its parent, proves the private key decrypts.
 */
export const CONNECTION_CHECK = { token: contacts, key: messagesHistory } as const;

export const streamByName = (name: string): StreamDefinition | undefined =>
  STREAMS.find((s) => s.name === name);
export type { ChildStream, StreamDefinition } from './define.js';
export { isChild, isDerived, isRunnable, missingSettings } from './define.js';
