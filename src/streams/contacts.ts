import { defineStream } from './define.js';
import { fillKey, fromList } from './records.js';
import { array, dateTime, key, object, record, string } from './schema.js';

const address = object({
  street: string(),
  number: string(),
  complement: string(),
  district: string(),
  city: string(),
  state: string(),
  country: string(),
  zip_code: string(),
});
const job = object({
  company: string(),
  title: string(),
  department: string(),
  occupation_area: string(),
  phone: string(),
  email: string(),
  site: string(),
  cnpj: string(),
});

export const contacts = defineStream({
  name: 'contacts',
  description: 'Contacts (GET /v2/customers); the parent of messages_history.',
  path: '/v2/customers',
  // §5.1: a bare array (some clients saw {data: [...]}); X-Pages/X-Total headers; max page size unknown.
  // Some payloads carry `id` instead of `_id`: the key is filled from it.
  records: fromList('data', fillKey('_id', 'id')),
  paging: { kind: 'pageNumbers', limit: 100, totalPagesHeader: 'x-pages', totalItemsHeader: 'x-total' },
  keys: ['_id'],
  schema: record({
    _id: key('Contact ID (24-hex ObjectId); filled from `id` when a payload has only that'),
    id: string('Contact ID when the API sends `id` instead of `_id`'),
    full_name: string(),
    email: string(),
    cel_phone: string('Mobile number, digits only'),
    cpf: string(),
    cnpj: string(),
    rg: string(),
    code: string(),
    description: string(),
    birth_date: string('DD/MM/YYYY'),
    integration: string(),
    channel: string(),
    current_wallet: string(),
    department_name: string(),
    workflow_title: string(),
    workflow_stage_title: string(),
    tags: array(object({ name: string() })),
    custom_fields: object(
      {},
      "The account's own fields (Configurações > Campos personalizados), keyed by their name: any keys",
    ),
    address,
    job,
    created_at: dateTime(),
    updated_at: dateTime(),
  }),
});
