/**
 * `--about`: what the tap is, in the Meltano SDK's shape (settings as one JSON Schema, secrets marked,
 * `env_var_prefix`, capabilities), as JSON or markdown; and the Meltano plugin definition that follows from
 * it. Everything derives from the settings' declarations and the stream registry.
 */
import { ENV_PREFIX, envName, SETTING_NAMES, SETTINGS, type SettingName } from '../config.js';
import type { JsonSchema } from '../streams/schema.js';
import { STREAMS } from '../streams/index.js';
import { VERSION } from '../version.js';

const NAME = 'tap-rdstation-conversas';
const DESCRIPTION =
  'Singer tap for RD Station Conversas (ex-Tallos): contacts, conversations (JWE-decrypted, as pages and as one row per message), attendance reports and account metadata.';
export const CAPABILITIES = ['about', 'catalog', 'discover', 'state', 'test', 'activate-version'];

/** The streams that need a setting (derived from the streams' `needs`). */
function neededBy(name: SettingName): string[] {
  return STREAMS.filter((s) => s.needs?.includes(name)).map((s) => s.name);
}

/**
 * One setting as JSON Schema: date settings are strings in `date` format; secrets are write-only strings (a
 * converter such as Meltano Hub's sees a secret string; the tap also takes the JWK as an object); a setting
 * neither required nor defaulted may be null.
 */
function settingSchema(name: SettingName): JsonSchema & Record<string, unknown> {
  const s = SETTINGS[name];
  const needs = neededBy(name);
  const description = `${s.description}${needs.length ? ` Needed by ${needs.join(', ')}.` : ''}${s.default !== undefined ? ` Default: ${String(s.default)}.` : ''}`;
  const base = s.type === 'date' || s.secret ? 'string' : s.type;
  const type = s.required || s.default !== undefined ? base : [base, 'null'];
  return {
    type,
    ...(s.type === 'date' ? { format: 'date' } : {}),
    description,
    ...(s.default === undefined
      ? {}
      : s.type === 'boolean'
        ? { default: s.default === 'true' }
        : typeof s.default === (s.type === 'string' ? 'string' : 'number')
          ? { default: s.default }
          : {}),
    ...(s.secret ? { secret: true, writeOnly: true } : {}),
  };
}

export function settingsSchema(): JsonSchema & Record<string, unknown> {
  return {
    type: 'object',
    properties: Object.fromEntries(SETTING_NAMES.map((name) => [name, settingSchema(name)])),
    required: SETTING_NAMES.filter((name) => SETTINGS[name].required),
  };
}

export function about(): Record<string, unknown> {
  return {
    name: NAME,
    description: DESCRIPTION,
    version: VERSION,
    capabilities: CAPABILITIES,
    settings: settingsSchema(),
    env_var_prefix: ENV_PREFIX,
    streams: STREAMS.map((s) => ({
      name: s.name,
      endpoint: s.base === undefined ? `GET ${s.path}` : `the requests of ${s.base}`,
      key_properties: s.keys,
      replication_methods: s.incremental ? ['FULL_TABLE', 'INCREMENTAL'] : ['FULL_TABLE'],
      ...(s.incremental ? { replication_key: s.incremental.replicationKey } : {}),
      ...(s.parent ? { parent: s.parent.stream } : {}),
      ...(s.needs?.length ? { needs: s.needs } : {}),
      description: s.description,
    })),
  };
}

const cell = (value: unknown): string => String(value ?? '').replace(/\|/g, '\\|');

export function aboutMarkdown(): string {
  const schema = settingsSchema();
  const required = new Set(schema.required);
  return [
    `# \`${NAME}\``,
    '',
    DESCRIPTION,
    '',
    `Version ${VERSION}.`,
    '',
    '## Capabilities',
    '',
    ...CAPABILITIES.map((c) => `* \`${c}\``),
    '',
    '## Settings',
    '',
    '| Setting | Required | Default | Description |',
    '|:--------|:--------:|:-------:|:------------|',
    ...SETTING_NAMES.map(
      (name) =>
        `| ${name} | ${required.has(name) ? 'True' : 'False'} | ${cell(SETTINGS[name].default ?? 'None')} | ${cell(SETTINGS[name].description)}${SETTINGS[name].secret ? ' (secret)' : ''} |`,
    ),
    '',
    `A full list of supported settings and capabilities is available by running: \`${NAME} --about\`.`,
    '',
    `Every setting can also come from an environment variable: \`${ENV_PREFIX}\` and the setting's name in capitals (for example \`${envName('access_token')}\`), read with \`--config ENV\`.`,
    '',
    '## Streams',
    '',
    '| Stream | Endpoint | Key | Notes |',
    '|:-------|:---------|:----|:------|',
    ...STREAMS.map(
      (s) =>
        `| ${s.name} | ${cell(s.base === undefined ? `GET ${s.path}` : `the requests of ${s.base}`)} | ${s.keys.join(', ')} | ${cell(s.description)} |`,
    ),
    '',
  ].join('\n');
}

/** How Meltano names a setting's kind, from its type and secrecy: every setting has one. */
export function meltanoKind(name: SettingName): string {
  const s = SETTINGS[name];
  if (s.secret) return 'password';
  if (s.type === 'date') return 'date_iso8601';
  if (s.type === 'integer') return 'integer';
  if (s.type === 'number') return 'decimal';
  if (s.type === 'boolean') return 'boolean';
  if (s.type === 'object') return 'object';
  return 'string';
}

/** `--about` as text, as Meltano SDK taps print it without --format. */
export function aboutText(): string {
  const a = about();
  const settings = settingsSchema().properties ?? {};
  return [
    `Name: ${String(a['name'])}`,
    `Description: ${String(a['description'])}`,
    `Version: ${String(a['version'])}`,
    `Capabilities: [${(a['capabilities'] as string[]).join(', ')}]`,
    'Settings:',
    ...Object.entries(settings).map(
      ([name, s]) =>
        `  - Name: ${name}\n    Type: ${JSON.stringify(s.type)}\n    Description: ${s.description ?? ''}`,
    ),
    '',
  ].join('\n');
}

/** The Meltano plugin definition (YAML), for `meltano.yml` or `meltano add --custom`. */
export function meltanoPluginYaml(): string {
  const quote = (text: string): string => JSON.stringify(text);
  return [
    '# The Meltano plugin definition of tap-rdstation-conversas, made from `tap-rdstation-conversas --about`',
    '# (npm run meltano-plugin writes it; a test checks it agrees). Paste it under `plugins: extractors:` in',
    '# meltano.yml, after `npm install -g` of this repository has put the executable on the PATH.',
    `- name: ${NAME}`,
    '  namespace: tap_rdstation_conversas',
    `  executable: ${NAME}`,
    `  capabilities: [${CAPABILITIES.join(', ')}]`,
    '  settings_group_validation:',
    `    - [${SETTING_NAMES.filter((n) => SETTINGS[n].required).join(', ')}]`,
    '  settings:',
    ...SETTING_NAMES.flatMap((name) => {
      const kind = meltanoKind(name);
      return [
        `    - name: ${name}`,
        `      kind: ${kind}`,
        ...(SETTINGS[name].secret ? ['      sensitive: true'] : []),
        `      description: ${quote(SETTINGS[name].description)}`,
      ];
    }),
    '',
  ].join('\n');
}

/** The README's `meltano.yml` example: the plugin definition as it is, with a config and a selection. */
export function meltanoYmlExample(): string {
  const plugin = meltanoPluginYaml()
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => `    ${line}`);
  return [
    'plugins:',
    '  extractors:',
    ...plugin,
    '      config:',
    "        start_date: '2026-01-01'",
    '      select:',
    '        - messages.*',
    '        - contacts.*',
    "        - '!contacts.cpf'",
    "        - '!contacts.address.*'",
    '',
  ].join('\n');
}

/**
 * The README with its meltano.yml example made anew, formatted as the repository's prettier formats it (for
 * `npm run meltano-plugin`, and for the test that keeps the README equal to it). Prettier is a development
 * dependency: loaded only here.
 */
export async function readmeWithMeltanoExample(readme: string, filepath: string): Promise<string> {
  const block = /(<!-- meltano\.yml: made by npm run meltano-plugin -->\s*```yaml\n)[\s\S]*?(```)/;
  if (!block.test(readme)) throw new Error('the README has no meltano.yml block');
  const text = readme.replace(block, (_, open: string, close: string) => open + meltanoYmlExample() + close);
  const prettier = await import('prettier');
  return prettier.format(text, { ...(await prettier.resolveConfig(filepath)), filepath });
}
