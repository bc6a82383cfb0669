/**
 * The account's small lists (employees, custom fields, flows, templates, wallets, integrations, workflows):
 * seeded, generated once, the same for every request.
 */
import { Rng } from './random.js';
import * as T from './text.js';

export class Account {
  private readonly metadataCache = new Map<string, unknown>();

  constructor(private readonly seed: number) {}

  companyId(): string {
    return new Rng(`${this.seed}:company`).hex(24);
  }

  private cached<V>(key: string, make: (rng: Rng) => V): V {
    if (!this.metadataCache.has(key)) this.metadataCache.set(key, make(new Rng(`${this.seed}:${key}`)));
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
}
