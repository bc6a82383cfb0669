/** Brazilian Portuguese building blocks for seeded content; accents on purpose (Latin-1 vs UTF-8 tests). */
export const FIRST_NAMES = [
  'João',
  'Maria',
  'José',
  'Ana',
  'Antônio',
  'Francisca',
  'Luíza',
  'Conceição',
  'Sebastião',
  'Cecília',
  'Márcio',
  'Patrícia',
  'Fábio',
  'Lúcia',
  'Thaís',
  'Vinícius',
  'Inês',
  'Caio',
  'Débora',
  'Otávio',
] as const;
export const LAST_NAMES = [
  'Silva',
  'Souza',
  'Araújo',
  'Gonçalves',
  'Conceição',
  'Magalhães',
  'Assunção',
  'Pereira',
  'Brandão',
  'Simões',
  'Falcão',
  'Guimarães',
  'Damião',
  'Lima',
  'Romão',
  'Estevão',
] as const;
export const CITIES: readonly (readonly [string, string])[] = [
  ['São Paulo', 'SP'],
  ['Florianópolis', 'SC'],
  ['Belém', 'PA'],
  ['Goiânia', 'GO'],
  ['Maceió', 'AL'],
  ['Niterói', 'RJ'],
  ['Vitória', 'ES'],
  ['São Luís', 'MA'],
  ['Cuiabá', 'MT'],
  ['Brasília', 'DF'],
];
export const STREETS = [
  'Rua das Acácias',
  'Avenida Paulista',
  'Travessa São João',
  'Rua Conceição',
  'Alameda Araguaia',
];
export const COMPANIES = [
  'Padaria Pão de Açúcar',
  'Óticas Visão',
  'Construções Brandão',
  'Café Três Corações',
  'Açaí da Praça',
];
export const JOB_TITLES = [
  'Gerente de compras',
  'Analista financeiro',
  'Proprietária',
  'Técnico de manutenção',
  'Diretora comercial',
];

export const CUSTOMER_LINES = [
  'Olá, bom dia! Gostaria de saber o preço do serviço.',
  'Vocês atendem em São José dos Campos?',
  'Não recebi o boleto deste mês, poderiam reenviar?',
  'Qual é o horário de atendimento na sexta-feira?',
  'Obrigado pela atenção, até amanhã!',
  'Preciso remarcar minha consulta para terça às 14h.',
  'A entrega chegou com a embalagem amassada, o que faço?',
  'Vocês aceitam pagamento por Pix ou cartão de crédito?',
  'Meu pedido nº 4521 ainda não saiu para entrega.',
  'Pode me mandar a localização da loja, por favor?',
] as const;
export const OPERATOR_LINES = [
  'Olá! Aqui é da equipe de atendimento, como posso ajudar?',
  'Claro, vou verificar a situação do seu pedido agora mesmo.',
  'O boleto foi reenviado para o seu e-mail cadastrado.',
  'Atendemos de segunda a sábado, das 8h às 18h.',
  'Sua consulta foi remarcada com sucesso para terça-feira às 14h.',
  'Peço desculpas pelo transtorno; já abrimos uma solicitação de troca.',
  'Aceitamos Pix, cartão de crédito e débito.',
] as const;
export const BOT_LINES = [
  'Olá! Sou a assistente virtual. Digite 1 para Vendas, 2 para Suporte ou 3 para Financeiro.',
  'Não entendi sua opção. Por favor, escolha um número do menu.',
  'Você será transferido para um atendente em instantes.',
  'Avalie nosso atendimento de 1 a 5 estrelas.',
] as const;
export const SYSTEM_EVENTS = [
  '>: Atendimento iniciado.',
  '>: Atendimento encerrado pelo operador.',
  '>: Atendimento transferido para o departamento Financeiro.',
  '>: Atendimento retomado.',
] as const;
