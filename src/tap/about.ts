/** `--about`: what the tap is, its capabilities, settings (types, defaults, secrecy) and streams. */
import { ENV_PREFIX, envName, SETTING_NAMES, SETTINGS, type SettingName } from '../config.js';
import { STREAMS } from '../streams/index.js';
import { VERSION } from '../version.js';

export function about(): Record<string, unknown> {
  return {
    name: 'tap-rdstation-conversas',
    version: VERSION,
    description:
      'Singer tap for RD Station Conversas (ex-Tallos): contacts, messages history (JWE-decrypted), reports and account metadata.',
    capabilities: ['catalog', 'discover', 'state', 'about', 'test'],
    env_prefix: ENV_PREFIX,
    settings: SETTING_NAMES.map((name) => {
      const s = SETTINGS[name];
      return {
        name,
        type: s.type,
        required: s.required ?? neededBy(name),
        secret: s.secret ?? false,
        ...(s.default !== undefined ? { default: s.default } : {}),
        env: envName(name),
        description: s.description,
      };
    }),
    streams: STREAMS.map((s) => ({
      name: s.name,
      endpoint: s.base === undefined ? `GET ${s.path}` : `the requests of ${s.base}`,
      keys: s.keys,
      replication: 'FULL_TABLE',
      ...(s.parent ? { parent: s.parent.stream } : {}),
      ...(s.needs?.length ? { requires: s.needs.join(', ') } : {}),
      description: s.description,
    })),
  };
}

/** "for <streams>" when some streams need the setting, else false: derived from the streams' `needs`. */
function neededBy(name: SettingName): string | false {
  const streams = STREAMS.filter((s) => s.needs?.includes(name)).map((s) => s.name);
  return streams.length ? `for ${streams.join(', ')}` : false;
}

export function aboutMarkdown(): string {
  const a = about();
  const settings = a['settings'] as Record<string, unknown>[];
  const streams = a['streams'] as Record<string, unknown>[];
  const row = (cells: unknown[]) =>
    `| ${cells.map((c) => String(c ?? '').replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    `# ${String(a['name'])} ${String(a['version'])}`,
    '',
    String(a['description']),
    '',
    `Capabilities: ${(a['capabilities'] as string[]).join(', ')}`,
    '',
    '## Settings',
    '',
    row(['name', 'type', 'required', 'default', 'secret', 'env', 'description']),
    row(['---', '---', '---', '---', '---', '---', '---']),
    ...settings.map((s) =>
      row([
        s['name'],
        s['type'],
        s['required'],
        s['default'],
        s['secret'] ? 'yes' : 'no',
        s['env'],
        s['description'],
      ]),
    ),
    '',
    '## Streams',
    '',
    row(['stream', 'endpoint', 'key', 'notes']),
    row(['---', '---', '---', '---']),
    ...streams.map((s) =>
      row([
        s['name'],
        s['endpoint'],
        (s['keys'] as string[]).join(', '),
        [
          s['parent'] ? `child of ${String(s['parent'])}` : '',
          s['requires'] ? `needs ${String(s['requires'])}` : '',
          s['description'],
        ]
          .filter(Boolean)
          .join('; '),
      ]),
    ),
    '',
  ].join('\n');
}
