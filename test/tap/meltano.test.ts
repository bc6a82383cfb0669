/**
 * Meltano and warehouse conformance through the real CLI: field selection as the Meltano SDK resolves it, the
 * catalog's schema emitted as given, keys of one non-null type, a sampled discovery, an SDK-shaped --about and
 * a plugin definition that agrees with it.
 */
import { Ajv } from 'ajv';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config.js';
import type { Logger } from '../../src/log.js';
import { silentLogger } from '../../src/log.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { STREAMS } from '../../src/streams/index.js';
import { meltanoKind, meltanoPluginYaml, readmeWithMeltanoExample } from '../../src/tap/about.js';
import { runSync } from '../../src/tap/sync.js';
import { DAY, dayOf, MemorySink, runCli, TAP_BIN } from '../helpers.js';

type Entry = {
  tap_stream_id: string;
  schema: { properties: Record<string, unknown>; description?: string };
  metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[];
};
type Message = { type: string; stream?: string; record?: Record<string, unknown>; schema?: Entry['schema'] };

let sb: Sandbox;
let dir: string;
const file = (name: string, value: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
};
const config = (extra: Record<string, unknown> = {}) =>
  file(`c-${Math.random().toString(36).slice(2)}.json`, {
    access_token: sb.token,
    api_url: sb.url,
    start_date: dayOf(sb.world.now - 60 * DAY),
    requests_per_minute: 1_000_000,
    ...extra,
  });
const lines = (stdout: string): Message[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Message);

beforeAll(async () => {
  sb = await startSandbox({ world: { seed: 81, contacts: 20, reports: 40 }, requestsPerMinute: 0 });
  dir = mkdtempSync(join(tmpdir(), 'conversas-meltano-'));
});
afterAll(() => sb.close());

describe('field selection and schemas from the catalog', () => {
  it('deselected properties, nested ones too, leave SCHEMA and RECORD; keys stay, with a warning', async () => {
    const discovered = await runCli(TAP_BIN, ['--config', config(), '--discover']);
    const catalog = JSON.parse(discovered.stdout) as { streams: Entry[] };
    const set = (stream: string, breadcrumb: string[], metadata: Record<string, unknown>): void => {
      const entry = catalog.streams.find((s) => s.tap_stream_id === stream)!;
      const md = entry.metadata.find((m) => JSON.stringify(m.breadcrumb) === JSON.stringify(breadcrumb));
      if (md) Object.assign(md.metadata, metadata);
      else entry.metadata.push({ breadcrumb, metadata });
    };
    for (const s of catalog.streams)
      set(s.tap_stream_id, [], { selected: ['contacts', 'reports'].includes(s.tap_stream_id) });
    for (const field of ['cpf', 'email', 'address'])
      set('contacts', ['properties', field], { selected: false });
    set('contacts', ['properties', 'job', 'properties', 'phone'], { selected: false });
    set('contacts', ['properties', '_id'], { selected: false });
    set('reports', ['properties', 'customer'], { selected: false });
    const res = await runCli(TAP_BIN, ['--config', config(), '--catalog', file('selected.json', catalog)]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('WARN contacts: _id is a key (automatic): it stays selected');
    const messages = lines(res.stdout);
    const schema = messages.find((m) => m.type === 'SCHEMA' && m.stream === 'contacts')!.schema!;
    for (const gone of ['cpf', 'email', 'address'])
      expect(Object.keys(schema.properties)).not.toContain(gone);
    expect(Object.keys((schema.properties['job'] as Entry['schema']).properties)).not.toContain('phone');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['_id', 'full_name', 'job']));
    const contacts = messages
      .filter((m) => m.type === 'RECORD' && m.stream === 'contacts')
      .map((m) => m.record!);
    expect(contacts).toHaveLength(20);
    for (const c of contacts) {
      expect(c).not.toHaveProperty('cpf');
      expect(c).not.toHaveProperty('email');
      expect(c).not.toHaveProperty('address');
      expect(c['job']).not.toHaveProperty('phone');
      expect(c['job']).toHaveProperty('company');
      expect(typeof c['_id']).toBe('string');
    }
    const reports = messages.filter((m) => m.type === 'RECORD' && m.stream === 'reports');
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.every((m) => !('customer' in m.record!))).toBe(true);
    expect(new Set(messages.filter((m) => m.type === 'SCHEMA').map((m) => m.stream))).toEqual(
      new Set(['contacts', 'reports']),
    );
  });

  it("emits the catalog's own schema (Meltano's schema extras)", async () => {
    const discovered = JSON.parse((await runCli(TAP_BIN, ['--config', config(), '--discover'])).stdout) as {
      streams: Entry[];
    };
    const flows = discovered.streams.find((s) => s.tap_stream_id === 'flows')!;
    flows.schema.properties['title'] = {
      type: ['string', 'null'],
      maxLength: 200,
      description: 'overridden',
    };
    flows.metadata.find((m) => m.breadcrumb.length === 0)!.metadata['selected'] = true;
    const res = await runCli(TAP_BIN, [
      '--config',
      config(),
      '--catalog',
      file('override.json', { streams: [flows] }),
    ]);
    expect(res.code, res.stderr).toBe(0);
    const schema = lines(res.stdout).find((m) => m.type === 'SCHEMA')!.schema!;
    expect(schema.properties['title']).toEqual({
      type: ['string', 'null'],
      maxLength: 200,
      description: 'overridden',
    });
  });
});

describe('keys', () => {
  it('every key property has one non-null type', () => {
    for (const s of STREAMS)
      for (const key of s.keys) {
        const type = (s.schema.properties?.[key] as { type?: unknown } | undefined)?.type;
        expect(typeof type, `${s.name}.${key}`).toBe('string');
        expect(type, `${s.name}.${key}`).not.toBe('null');
      }
  });

  describe('against answers of our own', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        const body = req.url?.startsWith('/v2/wallets')
          ? { wallets: ['Romulo', 'Romulo', 'Ana'] }
          : [
              { id: 7, key: 'plano' },
              { id: '8', key: 'cpf' },
            ];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    it('an integer id becomes its decimal string; names used as keys that repeat are reported, not merged', async () => {
      const warnings: string[] = [];
      const log: Logger = { ...silentLogger, warn: (m) => void warnings.push(m) };
      const sink = new MemorySink();
      const tapConfig = validateConfig({ access_token: 't0k3n-value', api_url: url });
      await runSync({ config: tapConfig, selected: ['custom_fields', 'wallets'], sink, log });
      expect(sink.records('custom_fields').map((r) => r['id'])).toEqual(['7', '8']);
      expect(sink.records('wallets')).toHaveLength(3);
      expect(warnings).toEqual([
        'wallets: 1 record(s) share their key (name, a display name) with another; a target that upserts by key keeps one of each',
      ]);
    });
  });
});

describe('discover_sample', () => {
  it('adds the fields a page of each stream shows that no schema lists, with at most one request per stream', async () => {
    sb.resetCounters();
    const res = await runCli(TAP_BIN, [
      '--config',
      config({ discover_sample: true, private_key_jwk: JSON.stringify(sb.jwk.current) }),
      '--discover',
    ]);
    expect(res.code, res.stderr).toBe(0);
    for (const [route, counts] of Object.entries(sb.counters.byRoute))
      expect(
        Object.values(counts).reduce((a, b) => a + b, 0),
        route,
      ).toBeLessThanOrEqual(1);
    const contacts = (JSON.parse(res.stdout) as { streams: Entry[] }).streams.find(
      (s) => s.tap_stream_id === 'contacts',
    )!;
    expect(contacts.schema.properties['custom_fields']).toMatchObject({
      type: ['object', 'null'],
      properties: {
        plano: { type: ['string', 'null'] },
        numero_pedido: { type: ['integer', 'null'] },
        cliente_ativo: { type: ['boolean', 'null'] },
      },
    });
    expect(
      contacts.metadata.some((m) => m.breadcrumb.join('/') === 'properties/custom_fields/properties/plano'),
    ).toBe(true);
    // Without the setting: the static schemas, no request.
    sb.resetCounters();
    const plain = await runCli(TAP_BIN, ['--config', config(), '--discover']);
    expect(sb.counters.total).toBe(0);
    const plainContacts = (JSON.parse(plain.stdout) as { streams: Entry[] }).streams.find(
      (s) => s.tap_stream_id === 'contacts',
    )!;
    // custom_fields is in the schema all the same (any keys), so schema-driven targets keep it.
    expect(plainContacts.schema.properties['custom_fields']).toMatchObject({
      type: ['object', 'null'],
      additionalProperties: true,
    });
  });
});

describe('--about and the Meltano plugin definition', () => {
  /** The shape of the Meltano SDK's `--about --format json`, as a JSON Schema. */
  const SDK_ABOUT = {
    type: 'object',
    required: ['name', 'description', 'version', 'capabilities', 'settings'],
    properties: {
      name: { type: 'string', pattern: '^tap-' },
      description: { type: 'string' },
      version: { type: 'string' },
      capabilities: { type: 'array', items: { type: 'string' } },
      env_var_prefix: { type: 'string', pattern: '^[A-Z_]+_$' },
      settings: {
        type: 'object',
        required: ['type', 'properties'],
        properties: {
          type: { const: 'object' },
          required: { type: 'array', items: { type: 'string' } },
          properties: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              required: ['type'],
              properties: {
                type: {
                  anyOf: [
                    { enum: ['string', 'integer', 'number', 'boolean', 'object', 'array'] },
                    {
                      type: 'array',
                      items: { enum: ['string', 'integer', 'number', 'boolean', 'object', 'array', 'null'] },
                    },
                  ],
                },
                description: { type: 'string' },
                secret: { type: 'boolean' },
                writeOnly: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
  };

  it('--about --format json has the SDK shape; secrets are marked; markdown lists every setting', async () => {
    const res = await runCli(TAP_BIN, ['--about', '--format', 'json']);
    expect(res.code).toBe(0);
    const about = JSON.parse(res.stdout) as {
      settings: {
        properties: Record<string, { secret?: boolean; writeOnly?: boolean; type: unknown; format?: string }>;
        required: string[];
      };
      env_var_prefix: string;
      capabilities: string[];
    };
    const validate = new Ajv({ strict: false }).compile(SDK_ABOUT);
    expect(validate(about), JSON.stringify(validate.errors)).toBe(true);
    expect(about.settings.required).toEqual(['access_token']);
    expect(about.settings.properties['access_token']).toMatchObject({ secret: true, writeOnly: true });
    // A secret is a string to converters (Meltano Hub's publishes an object-typed one as not secret).
    expect(about.settings.properties['private_key_jwk']).toMatchObject({
      type: ['string', 'null'],
      secret: true,
      writeOnly: true,
    });
    // Optional settings without a default may be null.
    expect(about.settings.properties['api_url']!.type).toBe('string');
    expect(about.settings.properties['start_date']!.type).toEqual(['string', 'null']);
    expect(about.settings.properties['start_date']).toMatchObject({ format: 'date' });
    expect(about.settings.properties['requests_per_minute']!.type).toBe('integer');
    expect(about.env_var_prefix).toBe('TAP_RDSTATION_CONVERSAS_');
    expect(about.capabilities).toEqual(
      expect.arrayContaining(['catalog', 'discover', 'state', 'about', 'test']),
    );
    const md = await runCli(TAP_BIN, ['--about', '--format', 'markdown']);
    for (const name of Object.keys(about.settings.properties)) expect(md.stdout).toContain(`| ${name} |`);
  });

  it("the README's meltano.yml is the plugin definition as it is (made by npm run meltano-plugin)", async () => {
    const path = fileURLToPath(new URL('../../README.md', import.meta.url));
    const readme = readFileSync(path, 'utf8');
    expect(readme).toContain('        - name: lookback_days\n          kind: decimal\n');
    expect(readme).toBe(await readmeWithMeltanoExample(readme, path));
  });

  it('the plugin definition in the repository is the one --about makes, with kinds that agree', async () => {
    const committed = readFileSync(
      new URL('../../meltano/tap-rdstation-conversas.yml', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(meltanoPluginYaml());
    const about = JSON.parse((await runCli(TAP_BIN, ['--about', '--format', 'json'])).stdout) as {
      settings: { properties: Record<string, { type: unknown; format?: string; secret?: boolean }> };
    };
    for (const [name, s] of Object.entries(about.settings.properties)) {
      const kind = meltanoKind(name as Parameters<typeof meltanoKind>[0]);
      const type = [s.type].flat()[0];
      const expected = s.secret
        ? 'password'
        : s.format === 'date'
          ? 'date_iso8601'
          : type === 'integer'
            ? 'integer'
            : type === 'number'
              ? 'decimal'
              : type === 'boolean'
                ? 'boolean'
                : 'string';
      // Every setting has a kind (Meltano reads one without it as a string).
      expect(kind, name).toBe(expected);
      expect(committed).toContain(`- name: ${name}\n      kind: ${kind}\n`);
    }
  });
});
