/** The attendance reports of /v4/reports (§5.6): seeded, spread over `reportDays`, tied to contacts. */
import { Rng } from './random.js';
import type { Epoch, NewMessage } from './timeline.js';
import { CHANNELS } from './messages.js';
import type { World } from './world.js';

const DAY = 86_400_000;

/** A contact as a report embeds it. */
function customerOf(contact: Record<string, unknown>): Record<string, unknown> {
  return {
    id: contact['_id'],
    full_name: contact['full_name'],
    cel_phone: contact['cel_phone'],
    cpf: contact['cpf'],
    email: contact['email'],
    channel: 'whatsapp',
    current_wallet: contact['current_wallet'],
    tags: contact['tags'],
  };
}

export function makeReports(world: World): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const employees = world.account.employees();
  for (let k = 0; k < world.options.reports; k++) {
    const rng = new Rng(`${world.options.seed}:report:${k}`);
    const created =
      world.origin - 1000 - Math.floor((rng.next() * world.options.reportDays * DAY) / 1000) * 1000;
    const closed = rng.chance(0.8);
    const contactIndex = world.options.contacts > 0 ? (k * 7) % world.options.contacts : -1;
    const contact = contactIndex >= 0 ? world.contact(contactIndex) : null;
    const employee = rng.chance(0.85) ? rng.pick(employees) : null;
    out.push({
      id: new Rng(`${world.options.seed}:report-id:${k}`).hex(24),
      protocol: `${new Date(created).getUTCFullYear()}${String(100000 + k)}`,
      customer: contact && customerOf(contact),
      employee: employee && { id: employee['_id'], name: employee['name'] },
      channel: rng.weighted(CHANNELS),
      to_tabulation: closed ? rng.pick(['', 'venda-realizada', 'duvida-sanada']) : '',
      to_department: rng.pick(['Vendas', 'Suporte', 'Financeiro']),
      total_send_messages: rng.int(0, 40),
      total_receive_messages: rng.int(0, 40),
      tme: rng.int(5, 3600),
      tma: rng.int(60, 14400),
      opened: !closed,
      closed,
      transferred: rng.chance(0.1),
      created_at: new Date(created).toISOString(),
      opened_at: new Date(created).toISOString(),
      started_at: new Date(created + 30_000).toISOString(),
      closed_at: closed ? new Date(created + rng.int(60, 86_400) * 1000).toISOString() : null,
      finished_at: closed ? new Date(created + rng.int(60, 86_400) * 1000).toISOString() : null,
      company_id: world.account.companyId(),
      initiation_info: { initiated_by: rng.pick(['customer', 'operator']) },
    });
  }
  return out.sort((a, b) => String(b['created_at']).localeCompare(String(a['created_at'])));
}

const iso = (at: number): string => new Date(at).toISOString();
const counts = (messages: readonly NewMessage[]) => ({
  total_send_messages: messages.filter((m) => m.sent_by === 'operator').length,
  total_receive_messages: messages.filter((m) => m.sent_by === 'customer').length,
});

/** What one epoch of the timeline did to reports: attendances opened (and closed), open ones that grew. */
export interface EpochReports {
  opened: Record<string, unknown>[];
  /** Open attendance id → messages added to its counters. */
  grown: Map<string, { total_send_messages: number; total_receive_messages: number }>;
}

/**
 * What the timeline's activity in one epoch did (timeline.ts): a closed attendance around each active
 * contact's new messages, bigger counters on an attendance still open, nothing for bot-only activity.
 */
export function epochReports(world: World, epoch: Epoch): EpochReports {
  const { timeline } = world;
  const out: EpochReports = { opened: [], grown: new Map() };
  const employee = world.account.employees()[0]!;
  for (let index = 0; index < world.options.contacts; index++) {
    if (!timeline.isActive(epoch, index)) continue;
    const open = world.openAttendanceOf(index);
    const kind = timeline.kindOf(index, open !== undefined);
    const messages = timeline.messagesIn(epoch, index, kind);
    if (messages.length === 0 || kind === 'outside') continue;
    const added = counts(messages);
    if (kind === 'open-attendance') {
      out.grown.set(String(open!['id']), added);
      continue;
    }
    const first = messages[0]!.at;
    const last = messages[messages.length - 1]!.at;
    out.opened.push({
      id: new Rng(`${world.options.seed}:epoch-report:${epoch.index}:${index}`).hex(24),
      protocol: `${new Date(first).getUTCFullYear()}${String(900000 + epoch.index * 1000 + (index % 1000))}`,
      customer: customerOf(world.contact(index)),
      employee: { id: employee['_id'], name: employee['name'] },
      channel: 'whatsapp',
      to_tabulation: 'duvida-sanada',
      to_department: 'Suporte',
      ...added,
      tme: 60,
      tma: Math.round((last - first) / 1000),
      opened: false,
      closed: true,
      transferred: false,
      created_at: iso(first),
      opened_at: iso(first),
      started_at: iso(first),
      closed_at: iso(last + 1000),
      finished_at: iso(last + 1000),
      company_id: world.account.companyId(),
      initiation_info: { initiated_by: 'customer' },
    });
  }
  return out;
}

/** The seeded reports with every epoch's activity applied, newest first. */
export function withActivity(
  base: readonly Record<string, unknown>[],
  epochs: readonly EpochReports[],
): Record<string, unknown>[] {
  if (epochs.length === 0) return [...base];
  const grown = new Map<string, { send: number; receive: number }>();
  for (const epoch of epochs)
    for (const [id, added] of epoch.grown) {
      const total = grown.get(id) ?? { send: 0, receive: 0 };
      total.send += added.total_send_messages;
      total.receive += added.total_receive_messages;
      grown.set(id, total);
    }
  const out = base.map((report) => {
    const more = grown.get(String(report['id']));
    return more
      ? {
          ...report,
          total_send_messages: Number(report['total_send_messages']) + more.send,
          total_receive_messages: Number(report['total_receive_messages']) + more.receive,
        }
      : report;
  });
  for (const epoch of epochs) out.push(...epoch.opened);
  return out.sort((a, b) => String(b['created_at']).localeCompare(String(a['created_at'])));
}
