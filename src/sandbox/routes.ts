/**
 * The API's routes, in one table: path → handler. Each answers with the envelope, paging and errors the
 * notes describe (every unsure fact comes from quirks.ts). The set of known paths is this table's keys.
 */
import type { AccountKey } from './keys.js';
import { encryptForAccount } from './keys.js';
import type { SandboxControl } from './gate.js';
import { encodePlaintext } from './plaintext.js';
import { QUIRKS, type EnvelopeSet } from './quirks.js';
import type { World } from './world.js';

export interface Answer {
  body: unknown;
  headers?: Record<string, string>;
}
export type Route = (query: URLSearchParams) => Answer | Promise<Answer>;

/** An error answer: a status and a body (JSON, or plain text when a string). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(String(status));
  }
}

function badRequest(field: string, message: string): HttpError {
  return new HttpError(400, { message: 'Parâmetros inválidos', errors: [{ field, message }] });
}

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badRequest(name, `${name} deve ser um inteiro entre ${min} e ${max}`);
  }
  return value;
}

/** `YYYY-MM-DD` or an ISO 8601 date-time; returns epoch ms and whether a time was given. */
function dateParam(query: URLSearchParams, name: string): { at: number; hasTime: boolean } | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  const at = Date.parse(dateOnly ? `${raw}T00:00:00Z` : raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(at))
    throw badRequest(name, `${name} deve ser uma data ISO 8601`);
  return { at, hasTime: !dateOnly };
}

const DAY = 86_400_000;
const day = (at: number): string => new Date(at).toISOString().slice(0, 10);
const listOf = (items: unknown[], key: string, shape: string): unknown =>
  shape === 'bare' ? items : { [key]: items };

export interface RouteContext {
  world: World;
  envelopes: EnvelopeSet;
  control: SandboxControl;
  keys: { current: AccountKey; rotated: AccountKey };
}

export function makeRoutes({ world, envelopes: set, control, keys }: RouteContext): Record<string, Route> {
  const envelopes = QUIRKS.envelopes[set];
  const { account } = world;

  /** `page` (1-based), unless the repeat-pages fault makes every paged endpoint ignore it. */
  const pageParam = (query: URLSearchParams): number => {
    const page = intParam(query, 'page', 1, 1, 1_000_000_000);
    return control.faults.repeatPages ? 1 : page;
  };

  const customers: Route = (query) => {
    const limit = Math.min(
      intParam(query, 'limit', QUIRKS.customers.defaultLimit, 1, 100_000),
      QUIRKS.customers.maxLimit,
    );
    const page = pageParam(query);
    const channels = query.get('channels');
    const total = channels && !channels.split(',').includes('whatsapp') ? 0 : world.options.contacts;
    const from = (page - 1) * limit;
    const items: unknown[] = [];
    for (let i = from; i < Math.min(total, from + limit); i++) {
      const { _id, ...rest } = world.contact(i);
      items.push({ [envelopes.customersIdKey]: _id, ...rest });
    }
    const headers = {
      'X-Limit': String(items.length),
      'X-Page': String(page),
      'X-Pages': String(Math.ceil(total / limit)),
      'X-Total': String(total),
    };
    return { body: listOf(items, 'data', envelopes.customers), headers };
  };

  const reports: Route = (query) => {
    const start = dateParam(query, 'start_date');
    const end = dateParam(query, 'end_date');
    if (!start) throw badRequest('start_date', 'start_date é obrigatório');
    if (!end) throw badRequest('end_date', 'end_date é obrigatório');
    const [startDay, endDay] = [day(start.at), day(end.at)];
    if (endDay < startDay) throw badRequest('end_date', 'end_date deve ser posterior a start_date');
    if ((Date.parse(endDay) - Date.parse(startDay)) / DAY > QUIRKS.reports.maxWindowDays) {
      throw badRequest(
        'end_date',
        `O intervalo entre as datas deve ser de no máximo ${QUIRKS.reports.maxWindowDays} dias`,
      );
    }
    const limit = intParam(query, 'limit', QUIRKS.reports.defaultLimit, 1, QUIRKS.reports.maxLimit);
    const page = pageParam(query);
    // §5.6: `status=opened` lists attendances still open, `closed` the others.
    const status = query.get('status');
    const all = world
      .reportsBetween(startDay, endDay)
      .filter((r) => !status || (status === 'opened' ? r['closed'] === false : r['closed'] === true));
    const pages = Math.max(1, Math.ceil(all.length / limit));
    return {
      body: { docs: all.slice((page - 1) * limit, page * limit), total: all.length, limit, page, pages },
    };
  };

  const history: Route = async (query) => {
    if (control.plan !== 'advanced') {
      throw new HttpError(403, { message: 'Recurso disponível apenas para o plano Advanced', errors: [] });
    }
    const customerId = query.get('customer_id');
    if (!customerId) throw badRequest('customer_id', 'customer_id é obrigatório');
    const index = world.contactIndex(customerId);
    if (index === undefined)
      throw new HttpError(404, {
        message: 'Customer not found',
        errors: [{ field: 'customer_id', message: 'Contato não encontrado' }],
      });
    const limit = intParam(query, 'limit', QUIRKS.history.defaultLimit, 1, QUIRKS.history.maxLimit);
    const page = pageParam(query);
    const start = dateParam(query, 'start_date');
    const end = dateParam(query, 'end_date');
    const to = end ? (end.hasTime ? end.at + 1 : end.at + DAY) : world.now;
    const from = start ? start.at : to - QUIRKS.history.windowDaysWithoutStart * DAY;
    // Arrays as repeated keys; a comma-separated value is one value that matches nothing (§5.5).
    const filter = (name: string, fallback: readonly string[]): readonly string[] => {
      const values = query.getAll(name);
      return values.length ? values : fallback;
    };
    const messages = world.filterMessages(
      index,
      { from, to },
      {
        sentBy: filter('sent_by', QUIRKS.history.defaultSentBy),
        type: filter('type', QUIRKS.history.defaultType),
        channel: filter('channel', QUIRKS.history.defaultChannel),
      },
    );
    const pageItems = messages.slice((page - 1) * limit, page * limit);
    if (pageItems.length === 0) return { body: { messages: '' } };
    const variant = world.variant(index);
    const jwe = await encryptForAccount(
      encodePlaintext(pageItems, variant),
      variant.rotatedKey ? keys.rotated : keys.current,
    );
    return { body: { messages: jwe } };
  };

  return {
    '/v2/customers': customers,
    '/v4/reports': reports,
    '/v2/messages/history': history,
    '/v2/custom-fields': () => ({
      body: listOf(account.customFields(), 'custom_fields', envelopes.customFields),
    }),
    '/v2/employees': () => ({
      body: account.employees().map(({ _id, ...rest }) => ({ [envelopes.employeesIdKey]: _id, ...rest })),
    }),
    '/v2/flows': () => ({ body: { flows: account.flows() } }),
    '/v2/template/all': () => ({ body: { templates: account.templates() } }),
    '/v2/wallets': () => ({
      body: {
        wallets:
          envelopes.wallets === 'strings' ? account.wallets() : account.wallets().map((name) => ({ name })),
      },
    }),
    '/v2/whatsapp/integrations': () => ({
      body: listOf(account.whatsappIntegrations(), 'integrations', envelopes.whatsappIntegrations),
    }),
    '/v2/whatsapp/integrations/official': () => ({ body: account.whatsappOfficialIntegrations() }),
    '/v2/workflows': () => ({
      body: {
        workflows: account
          .workflows()
          .map(({ stages, ...rest }) => ({ ...rest, [envelopes.workflowsStagesKey]: stages })),
      },
    }),
  };
}
