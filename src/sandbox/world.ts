/**
 * The seeded world behind the sandbox. Nothing big is stored: a contact, its messages and its variant are
 * pure functions of (seed, index), generated when asked, so 100,000 contacts and millions of messages cost
 * no memory. Reports and the small metadata lists are generated once.
 *
 * The world is also the ground truth: it says what a complete extraction must contain.
 */
import { QUIRKS, type EnvelopeSet } from './quirks.js';
import { Rng, hash32 } from './random.js';
import * as T from './text.js';

export interface WorldOptions {
  seed: number;
  contacts: number;
  /** Average messages per contact (before the heavy contacts are added). */
  meanMessages: number;
  /** Every Nth contact has more than one page (100+) of history; 0 disables. */
  heavyEvery: number;
  /** Messages are spread over this many days before `now`. */
  historyDays: number;
  reports: number;
  /** Reports are spread over this many days before `now` (more than 90 so a client needs several windows). */
  reportDays: number;
  /** The world's present: no message or report is newer. Defaults to the start of today (UTC). */
  now: Date;
  envelopes: EnvelopeSet;
}

export const DEFAULT_WORLD: Omit<WorldOptions, 'now'> = {
  seed: 1,
  contacts: 60,
  meanMessages: 12,
  heavyEvery: 33,
  historyDays: 120,
  reports: 240,
  reportDays: 200,
  envelopes: 'standard',
};

/** A decrypted history message, with the fields observed live (§4). */
export interface HistoryMessage {
  sent_by: 'customer' | 'operator' | 'bot';
  content: string;
  created_at: string;
  status: string;
  is_template_message: boolean;
  is_reply: boolean;
}

/** What the API filters on but (as far as we know) does not return in the plaintext. */
interface StoredMessage extends HistoryMessage {
  type: string;
  channel: string;
  at: number;
}

export interface ContactVariant {
  charset: 'utf-8' | 'latin1';
  doubleEncoded: boolean;
  controlChars: boolean;
  rotatedKey: boolean;
}

export interface DateWindow {
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
}

const DAY = 86_400_000;
const SENT_BY = [
  ['customer', 45],
  ['operator', 40],
  ['bot', 15],
] as const;
const TYPES = [
  ['text', 70],
  ['audio', 8],
  ['image', 8],
  ['document', 4],
  ['video', 3],
  ['location', 2],
  ['contact', 1],
  ['interactive', 1],
  ['button_reply', 2],
  ['list_reply', 1],
] as const;
const CHANNELS = [
  ['whatsapp', 85],
  ['instagram', 8],
  ['telegram', 4],
  ['messenger', 3],
] as const;
const MEDIA: Record<string, [string, string, string]> = {
  audio: ['oga', 'audio/ogg', 'medias-whatsapp'],
  image: ['jpg', 'image/jpeg', 'medias'],
  document: ['pdf', 'application/pdf', 'medias'],
  video: ['mp4', 'video/mp4', 'medias'],
};

export class World {
  readonly options: WorldOptions;
  private readonly idPrefix: string;
  private readonly idMask: number;
  private reportCache?: Record<string, unknown>[];
  private readonly metadataCache = new Map<string, unknown>();

  constructor(options: Partial<WorldOptions> = {}) {
    const now = options.now ?? new Date(Math.floor(Date.now() / DAY) * DAY);
    this.options = { ...DEFAULT_WORLD, ...options, now };
    const rng = new Rng(`${this.options.seed}:ids`);
    this.idPrefix = rng.hex(8);
    this.idMask = hash32(`${this.options.seed}:mask`);
  }

  get now(): number {
    return this.options.now.getTime();
  }

  // ---- contacts -------------------------------------------------------------------------------

  contactId(index: number): string {
    const middle = ((index ^ this.idMask) >>> 0).toString(16).padStart(8, '0');
    const check = hash32(`${this.options.seed}:check:${index}`).toString(16).padStart(8, '0');
    return this.idPrefix + middle + check;
  }

  /** The index of a contact id, or undefined when no such contact exists. */
  contactIndex(id: string): number | undefined {
    if (!/^[0-9a-f]{24}$/.test(id) || !id.startsWith(this.idPrefix)) return undefined;
    const index = (parseInt(id.slice(8, 16), 16) ^ this.idMask) >>> 0;
    if (index >= this.options.contacts || this.contactId(index) !== id) return undefined;
    return index;
  }

  contact(index: number): Record<string, unknown> {
    const rng = new Rng(`${this.options.seed}:contact:${index}`);
    const first = rng.pick(T.FIRST_NAMES);
    const last = rng.pick(T.LAST_NAMES);
    const [city, state] = rng.pick(T.CITIES);
    const slug = `${first}.${last}`
      .normalize('NFD')
      .replace(/[^a-zA-Z.]/g, '')
      .toLowerCase();
    const wallets = this.wallets();
    return {
      _id: this.contactId(index),
      full_name: `${first} ${last}`,
      email: `${slug}${index}@exemplo.com.br`,
      cel_phone: `55${rng.int(11, 99)}9${rng.int(10_000_000, 99_999_999)}`,
      cpf: String(rng.int(100_000_000, 999_999_999)).padStart(11, '0'),
      code: `C-${index}`,
      description: rng.chance(0.3) ? 'Cliente desde 2019, prefere contato à tarde.' : null,
      birth_date: `${String(rng.int(1, 28)).padStart(2, '0')}/${String(rng.int(1, 12)).padStart(2, '0')}/${rng.int(1950, 2004)}`,
      integration: 'integration-1',
      channel: 'whatsapp',
      current_wallet: rng.pick(wallets),
      tags: rng.chance(0.5) ? [{ name: 'cliente vip' }, { name: 'carteira romulo' }] : [],
      workflow_title: 'Funil de vendas',
      workflow_stage_title: rng.pick(['Novo', 'Em negociação', 'Fechado']),
      address: {
        street: rng.pick(T.STREETS),
        number: String(rng.int(1, 2000)),
        complement: rng.chance(0.3) ? `Apto ${rng.int(11, 304)}` : '',
        district: 'Centro',
        city,
        state,
        country: 'Brasil',
        zip_code: `${rng.int(10000, 99999)}-${rng.int(100, 999)}`,
      },
      job: {
        company: rng.pick(T.COMPANIES),
        title: rng.pick(T.JOB_TITLES),
        department: rng.pick(['Compras', 'Financeiro', 'Diretoria']),
        occupation_area: 'Comércio',
        phone: `55${rng.int(11, 99)}3${rng.int(1_000_000, 9_999_999)}`,
        email: `contato${index}@empresa.com.br`,
        site: 'https://www.exemplo.com.br',
        cnpj: String(rng.int(10_000_000, 99_999_999)) + '000190',
      },
    };
  }

  /** Which plaintext quirk a contact's history shows (§4); fixed by index so small worlds have every kind. */
  variant(index: number): ContactVariant {
    const controlChars = index % 6 === 3;
    return {
      charset: index % 5 === 1 ? 'latin1' : 'utf-8',
      controlChars,
      doubleEncoded: !controlChars && index % 7 === 2,
      rotatedKey: index % 11 === 4,
    };
  }

  messageCount(index: number): number {
    const { heavyEvery, meanMessages } = this.options;
    if (index % 10 === 9) return 0;
    const rng = new Rng(`${this.options.seed}:count:${index}`);
    if (heavyEvery > 0 && index % heavyEvery === 5) {
      return index % (heavyEvery * 2) === 5 ? 100 : rng.int(101, 260);
    }
    const heavyMean = heavyEvery > 0 ? 180 / heavyEvery : 0;
    const spread = Math.max(1, Math.round((2 * Math.max(1, meanMessages - heavyMean)) / 0.9 - 1));
    return rng.int(1, spread);
  }

  /** Every message of a contact, newest first (page 1 = most recent, §5.5). */
  private storedMessages(index: number): StoredMessage[] {
    const n = this.messageCount(index);
    const rng = new Rng(`${this.options.seed}:messages:${index}`);
    const variant = this.variant(index);
    const span = this.options.historyDays * DAY;
    const out: StoredMessage[] = [];
    for (let j = 0; j < n; j++) {
      const at = this.now - 1000 - Math.floor((rng.next() * span) / 1000) * 1000;
      const sentBy = rng.weighted(SENT_BY);
      const type = sentBy === 'bot' ? 'text' : rng.weighted(TYPES);
      const channel = rng.weighted(CHANNELS);
      out.push({
        sent_by: sentBy,
        content: this.messageContent(rng, sentBy, type, variant, j),
        created_at: new Date(at).toISOString(),
        status: rng.pick(['success', 'read', 'checked', 'wait']),
        is_template_message: sentBy === 'operator' && rng.chance(0.1),
        is_reply: rng.chance(0.05),
        type,
        channel,
        at,
      });
    }
    return out.sort((a, b) => b.at - a.at || (a.content < b.content ? -1 : 1));
  }

  private messageContent(rng: Rng, sentBy: string, type: string, variant: ContactVariant, j: number): string {
    const media = MEDIA[type];
    if (media) {
      const [ext, mimetype, folder] = media;
      const name = `arquivo_${j}_${rng.hex(6)}.${ext}`;
      const file = {
        file_name: name,
        file_path: `${folder}/${rng.hex(24)}/${name}`,
        file_extension: ext,
        mimetype,
      };
      return encodeURIComponent(JSON.stringify(file));
    }
    if (sentBy === 'bot') {
      if (rng.chance(0.4)) {
        const event = rng.pick(T.SYSTEM_EVENTS);
        // Live system events carry raw control characters, even U+0000 (§4 "Validity").
        return variant.controlChars ? `${event}\u0001\t\u001f\u0000` : event;
      }
      return rng.pick(T.BOT_LINES);
    }
    const line = rng.pick(sentBy === 'customer' ? T.CUSTOMER_LINES : T.OPERATOR_LINES);
    const quoted = rng.chance(0.1) ? `${line} Ele disse "ok".` : line;
    return variant.charset === 'utf-8' && rng.chance(0.1) ? `${quoted} 👍` : quoted;
  }

  /** Messages as the API filters them: window, then sender, type and channel sets. */
  filterMessages(
    index: number,
    window: DateWindow,
    filters?: { sentBy: readonly string[]; type: readonly string[]; channel: readonly string[] },
  ): HistoryMessage[] {
    return this.storedMessages(index)
      .filter((m) => m.at >= window.from && m.at < window.to)
      .filter(
        (m) =>
          !filters ||
          (filters.sentBy.includes(m.sent_by) &&
            filters.type.includes(m.type) &&
            filters.channel.includes(m.channel)),
      )
      .map(({ sent_by, content, created_at, status, is_template_message, is_reply }) => ({
        sent_by,
        content,
        created_at,
        status,
        is_template_message,
        is_reply,
      }));
  }

  /** Ground truth: every message of a contact in the window, whatever its sender, type or channel. */
  expectedMessages(index: number, window: DateWindow): HistoryMessage[] {
    return this.filterMessages(index, window);
  }

  // ---- reports (v4) ---------------------------------------------------------------------------

  reports(): Record<string, unknown>[] {
    if (this.reportCache) return this.reportCache;
    const out: Record<string, unknown>[] = [];
    const employees = this.employees();
    for (let k = 0; k < this.options.reports; k++) {
      const rng = new Rng(`${this.options.seed}:report:${k}`);
      const created =
        this.now - 1000 - Math.floor((rng.next() * this.options.reportDays * DAY) / 1000) * 1000;
      const closed = rng.chance(0.8);
      const contactIndex = this.options.contacts > 0 ? (k * 7) % this.options.contacts : -1;
      const contact = contactIndex >= 0 ? this.contact(contactIndex) : null;
      const employee = rng.chance(0.85) ? rng.pick(employees) : null;
      out.push({
        id: new Rng(`${this.options.seed}:report-id:${k}`).hex(24),
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
        company_id: this.companyId(),
        initiation_info: { initiated_by: rng.pick(['customer', 'operator']) },
      });
    }
    out.sort((a, b) => String(b['created_at']).localeCompare(String(a['created_at'])));
    this.reportCache = out;
    return out;
  }

  /** Reports whose creation day lies in [startDay, endDay] (§5.6: dates filter on the opening date). */
  reportsBetween(startDay: string, endDay: string): Record<string, unknown>[] {
    return this.reports().filter((r) => {
      const day = String(r['created_at']).slice(0, 10);
      return day >= startDay && day <= endDay;
    });
  }

  // ---- small metadata lists -------------------------------------------------------------------

  companyId(): string {
    return new Rng(`${this.options.seed}:company`).hex(24);
  }

  private cached<V>(key: string, make: (rng: Rng) => V): V {
    if (!this.metadataCache.has(key))
      this.metadataCache.set(key, make(new Rng(`${this.options.seed}:${key}`)));
    return this.metadataCache.get(key) as V;
  }

  employees(): Record<string, unknown>[] {
    return this.cached('employees', (rng) =>
      Array.from({ length: 6 }, (_, i) => {
        const name = `${T.FIRST_NAMES[(i * 3) % T.FIRST_NAMES.length]} ${T.LAST_NAMES[(i * 5) % T.LAST_NAMES.length]}`;
        return {
          _id: rng.hex(24),
          name,
          email: `${name
            .normalize('NFD')
            .replace(/[^a-zA-Z ]/g, '')
            .toLowerCase()
            .replace(' ', '.')}@empresa.com.br`,
          status: i === 5 ? 'inactive' : 'active',
          role: i === 0 ? 'admin' : 'operator',
          departments: [{ name: i % 2 ? 'Vendas' : 'Suporte' }],
        };
      }),
    );
  }

  customFields(): Record<string, unknown>[] {
    return this.cached('custom-fields', (rng) =>
      [
        ['cpf_titular', 'CPF do titular'],
        ['data_vencimento', 'Data de vencimento'],
        ['plano', 'Plano contratado'],
        ['cidade_entrega', 'Cidade de entrega'],
        ['numero_pedido', 'Número do pedido'],
      ].map(([key, label]) => ({
        id: rng.hex(24),
        key,
        label,
        info: `Usado nos modelos como {{${key}}}`,
        type: 'text',
      })),
    );
  }

  flows(): Record<string, unknown>[] {
    return this.cached('flows', (rng) =>
      ['Boas-vindas', 'Pesquisa de satisfação', 'Cobrança automática', 'Horário de atendimento'].map(
        (title) => ({
          id: rng.hex(24),
          title,
          active: rng.chance(0.8),
          created_at: '2025-03-10T12:00:00.000Z',
        }),
      ),
    );
  }

  templates(): Record<string, unknown>[] {
    return this.cached('templates', (rng) =>
      [
        'Confirmação de pedido',
        'Lembrete de pagamento',
        'Promoção de verão',
        'Pesquisa NPS',
        'Boas-vindas',
      ].map((title, i) => ({
        id: rng.hex(24),
        title,
        channel: i === 3 ? 'email' : 'whatsapp',
        content: `Olá {{nome}}, ${title.toLowerCase()}: acesse o link para mais informações.`,
        content_media: i === 2 ? 'image' : 'text',
        status: 'APPROVED',
      })),
    );
  }

  wallets(): string[] {
    return this.cached('wallets', () => [
      'Milene Pamplona',
      'Romulo',
      'Carteira São Paulo',
      'Atendimento Geral',
    ]);
  }

  whatsappIntegrations(): Record<string, unknown>[] {
    return this.cached('wa', (rng) => [
      {
        id: 'integration-1',
        description: 'WhatsApp principal',
        phone: `5511${rng.int(900000000, 999999999)}`,
        status: 'connected',
        settings: { autoreply: true },
      },
      {
        id: `integration-${rng.hex(6)}`,
        description: 'WhatsApp filial Niterói',
        phone: `5521${rng.int(900000000, 999999999)}`,
        status: 'disconnected',
        settings: { autoreply: false },
      },
    ]);
  }

  whatsappOfficialIntegrations(): Record<string, unknown>[] {
    return this.cached('wa-official', (rng) => [
      {
        key: rng.hex(16),
        label: 'API Oficial — Vendas',
        phone_number_id: String(rng.int(1e14, 9e14)),
        quality_rating: 'GREEN',
      },
      {
        key: rng.hex(16),
        label: 'API Oficial — Suporte',
        phone_number_id: String(rng.int(1e14, 9e14)),
        quality_rating: 'YELLOW',
      },
    ]);
  }

  workflows(): Record<string, unknown>[] {
    return this.cached('workflows', () =>
      [
        ['Funil de vendas', ['Novo', 'Em negociação', 'Fechado']],
        ['Pós-venda', ['Entrega', 'Avaliação']],
        ['Cobrança', ['Aviso', 'Negociação', 'Quitado', 'Protesto']],
      ].map(([title, stages]) => ({
        title,
        company: this.companyId(),
        stages: (stages as string[]).map((stage, order) => ({ title: stage, order })),
      })),
    );
  }

  // ---- ground truth ---------------------------------------------------------------------------

  /** The history window a client asking for [startDay, endDay] (inclusive days, UTC) gets. */
  static dayWindow(startDay: string, endDay: string): DateWindow {
    return { from: Date.parse(`${startDay}T00:00:00Z`), to: Date.parse(`${endDay}T00:00:00Z`) + DAY };
  }

  /**
   * Exactly what a complete extraction must contain: records per stream, given the history window and the
   * reports range. History counts pages of `pageSize` (a record per non-empty page).
   */
  groundTruth(query: { history?: DateWindow; reportsFrom: string; reportsTo: string; pageSize?: number }): {
    records: Record<string, number>;
    messages: number;
  } {
    const pageSize = query.pageSize ?? QUIRKS.history.maxLimit;
    let pages = 0;
    let messages = 0;
    if (query.history) {
      for (let i = 0; i < this.options.contacts; i++) {
        const n = this.expectedMessages(i, query.history).length;
        messages += n;
        pages += Math.ceil(n / pageSize);
      }
    }
    const records: Record<string, number> = {
      contacts: this.options.contacts,
      custom_fields: this.customFields().length,
      employees: this.employees().length,
      flows: this.flows().length,
      reports: this.reportsBetween(query.reportsFrom, query.reportsTo).length,
      templates: this.templates().length,
      wallets: this.wallets().length,
      whatsapp_integrations: this.whatsappIntegrations().length,
      whatsapp_official_integrations: this.whatsappOfficialIntegrations().length,
      workflows: this.workflows().length,
    };
    if (query.history) records['messages_history'] = pages;
    return { records, messages };
  }
}
