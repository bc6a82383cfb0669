/** The attendance reports of /v4/reports (§5.6): seeded, spread over `reportDays`, tied to contacts. */
import { Rng } from './random.js';
import { CHANNELS } from './messages.js';
import type { World } from './world.js';

const DAY = 86_400_000;

export function makeReports(world: World): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const employees = world.account.employees();
  for (let k = 0; k < world.options.reports; k++) {
    const rng = new Rng(`${world.options.seed}:report:${k}`);
    const created =
      world.now - 1000 - Math.floor((rng.next() * world.options.reportDays * DAY) / 1000) * 1000;
    const closed = rng.chance(0.8);
    const contactIndex = world.options.contacts > 0 ? (k * 7) % world.options.contacts : -1;
    const contact = contactIndex >= 0 ? world.contact(contactIndex) : null;
    const employee = rng.chance(0.85) ? rng.pick(employees) : null;
    out.push({
      id: new Rng(`${world.options.seed}:report-id:${k}`).hex(24),
      protocol: `${new Date(created).getUTCFullYear()}${String(100000 + k)}`,
      customer: contact && {
        id: contact['_id'],
        full_name: contact['full_name'],
        cel_phone: contact['cel_phone'],
        cpf: contact['cpf'],
        email: contact['email'],
        channel: 'whatsapp',
        current_wallet: contact['current_wallet'],
        tags: contact['tags'],
      },
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
