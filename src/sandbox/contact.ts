/** A contact as /v2/customers lists it (§5.1): a pure function of (seed, index). */
import { Rng } from './random.js';
import * as T from './text.js';
import type { World } from './world.js';

export function makeContact(world: World, index: number): Record<string, unknown> {
  const rng = new Rng(`${world.options.seed}:contact:${index}`);
  const first = rng.pick(T.FIRST_NAMES);
  const last = rng.pick(T.LAST_NAMES);
  const [city, state] = rng.pick(T.CITIES);
  const slug = `${first}.${last}`
    .normalize('NFD')
    .replace(/[^a-zA-Z.]/g, '')
    .toLowerCase();
  const wallets = world.account.wallets();
  return {
    _id: world.contactId(index),
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
    // The account's own custom fields (/v2/custom-fields), by key: what they are differs per account, so
    // no static schema lists them (a sampled discovery finds them).
    custom_fields: {
      plano: rng.pick(['Básico', 'Premium', 'Empresarial']),
      numero_pedido: rng.int(1000, 99_999),
      data_vencimento: `2026-${String(rng.int(1, 12)).padStart(2, '0')}-10`,
      cliente_ativo: rng.chance(0.8),
    },
  };
}
