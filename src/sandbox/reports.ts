/** The attendance reports of /v4/reports (§5.6): seeded, spread over `reportDays`, tied to contacts. */
import { Rng } from './random.js';
import type { NewMessage } from './timeline.js';
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

/**
 * The seeded reports plus what the timeline's activity did (timeline.ts): a closed attendance around each
 * active contact's new messages, bigger counters on an attendance still open, nothing for bot-only activity.
 */
export function withActivity(
  world: World,
  base: readonly Record<string, unknown>[],
): Record<string, unknown>[] {
  const { timeline } = world;
  if (timeline.epochs.length === 0) return [...base];
  const out = [...base];
  const employee = world.account.employees()[0]!;
  for (let index = 0; index < world.options.contacts; index++) {
    const open = world.openAttendanceOf(index);
    const kind = timeline.kindOf(index, open !== undefined);
    for (const epoch of timeline.epochs) {
      const messages = timeline.messagesIn(epoch, index, kind);
      if (messages.length === 0 || kind === 'outside') continue;
      const added = counts(messages);
      if (kind === 'open-attendance') {
        const at = out.findIndex((r) => r['id'] === open!['id']);
        const current = out[at]!;
        out[at] = {
          ...current,
          total_send_messages: Number(current['total_send_messages']) + added.total_send_messages,
          total_receive_messages: Number(current['total_receive_messages']) + added.total_receive_messages,
        };
        continue;
      }
      const first = messages[0]!.at;
      const last = messages[messages.length - 1]!.at;
      out.push({
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
  }
  return out.sort((a, b) => String(b['created_at']).localeCompare(String(a['created_at'])));
}
