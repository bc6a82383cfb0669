/** The tap as users run it: a real subprocess, real HTTP to the sandbox, Singer output checked with ajv. */
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAMS } from '../../src/streams/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { DAY, dayOf, expectNoSecrets, runCli, TAP_BIN } from '../helpers.js';

let sb: Sandbox;
let dir: string;
const file = (name: string, value: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
};
const base = () => ({
  access_token: sb.token,
  api_url: sb.url,
  requests_per_minute: 100_000,
  retry_backoff_seconds: 0.01,
});
const quiet = { LOG_LEVEL: 'warn' };

beforeAll(async () => {
  sb = await startSandbox({ world: { seed: 5, contacts: 40 }, requestsPerMinute: 0 });
  dir = mkdtempSync(join(tmpdir(), 'tap-cli-'));
});
afterAll(() => sb.close());

describe('about, discover, version', () => {
  it('--about lists settings with types, defaults and secrecy, as text (the default), JSON and markdown', async () => {
    const text = await runCli(TAP_BIN, ['--about']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Name: tap-rdstation-conversas\n/);
    expect(text.stdout).toMatch(/^ {2}- Name: access_token$/m);
    // --format in any case; anything else is refused in one line.
    const json = await runCli(TAP_BIN, ['--about', '--format', 'JSON']);
    expect(json.code).toBe(0);
    const bad = await runCli(TAP_BIN, ['--about', '--format', 'yaml']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/use text, json or markdown/);
    const about = JSON.parse(json.stdout) as {
      settings: { properties: Record<string, { secret?: boolean; default?: unknown; type: unknown }> };
      streams: unknown[];
    };
    expect(about.settings.properties['access_token']?.secret).toBe(true);
    expect(about.settings.properties['private_key_jwk']?.secret).toBe(true);
    expect(about.settings.properties['requests_per_minute']).toMatchObject({ type: 'integer', default: 45 });
    expect(about.streams).toHaveLength(STREAMS.length);
    const md = await runCli(TAP_BIN, ['--about', '--format', 'markdown']);
    expect(md.stdout).toMatch(/\| access_token \| True \| None \| .*\(secret\) \|/);
  });

  it('--discover prints every stream with its replication metadata; history and messages are off by default without start_date', async () => {
    const res = await runCli(TAP_BIN, ['--config', file('c.json', base()), '--discover']);
    expect(res.code).toBe(0);
    const catalog = JSON.parse(res.stdout) as {
      streams: {
        tap_stream_id: string;
        metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[];
      }[];
    };
    expect(catalog.streams.map((s) => s.tap_stream_id).sort()).toHaveLength(STREAMS.length);
    for (const s of catalog.streams) {
      const root = s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
      // INCREMENTAL offered where a run can find what changed; FULL_TABLE by default everywhere.
      if (['messages', 'reports'].includes(s.tap_stream_id)) {
        expect(root['valid-replication-keys']).toEqual(['created_at']);
        expect(root['replication-method']).toBe('FULL_TABLE');
        expect(root['forced-replication-method']).toBeUndefined();
      } else expect(root['forced-replication-method']).toBe('FULL_TABLE');
      expect(root['inclusion']).toBe('available');
      expect(root['selected-by-default']).toBe(!['messages_history', 'messages'].includes(s.tap_stream_id));
    }
    // Discovery says why messages is off: what it needs travels in its schema's description.
    const messages = catalog.streams.find((s) => s.tap_stream_id === 'messages') as unknown as {
      schema: { description: string };
    };
    expect(messages.schema.description).toMatch(/Needs start_date and private_key_jwk/);
    // And why messages_history is never incremental.
    const history = catalog.streams.find((s) => s.tap_stream_id === 'messages_history') as unknown as {
      schema: { description: string };
    };
    expect(history.schema.description).toMatch(/FULL_TABLE only: .*no stable key/);
    expectNoSecrets(sb, res.stdout, res.stderr);
  });

  it('--version and --help tell the truth', async () => {
    expect((await runCli(TAP_BIN, ['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runCli(TAP_BIN, ['--help']);
    for (const flag of ['--config', '--discover', '--catalog', '--state', '--about', '--format', '--test'])
      expect(help.stdout).toContain(flag);
  });
});

describe('a sync through the CLI', () => {
  it('prints only valid Singer messages; every record validates against its schema; no secret anywhere', async () => {
    const config = file('full.json', {
      ...base(),
      start_date: dayOf(sb.world.now - 60 * DAY),
      private_key_jwk: sb.jwk.current,
    });
    const res = await runCli(TAP_BIN, ['--config', config]);
    expect(res.code, res.stderr).toBe(0);
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validators = new Map<string, ReturnType<typeof ajv.compile>>();
    const counts = new Map<string, number>();
    for (const line of res.stdout.trim().split('\n')) {
      const m = JSON.parse(line) as { type: string; stream?: string; schema?: object; record?: object };
      expect(['SCHEMA', 'RECORD', 'STATE', 'ACTIVATE_VERSION']).toContain(m.type);
      if (m.type === 'SCHEMA') validators.set(m.stream!, ajv.compile(m.schema!));
      if (m.type === 'RECORD') {
        const validate = validators.get(m.stream!);
        expect(validate, `SCHEMA before RECORD of ${m.stream}`).toBeDefined();
        expect(validate!(m.record), JSON.stringify(validate!.errors)).toBe(true);
        counts.set(m.stream!, (counts.get(m.stream!) ?? 0) + 1);
      }
    }
    expect(counts.size).toBe(STREAMS.length);
    expect(counts.get('contacts')).toBe(40);
    expectNoSecrets(sb, res.stdout, res.stderr);
  });

  it('reads config from ENV, merged after a file', async () => {
    const res = await runCli(
      TAP_BIN,
      ['--config', file('partial.json', { api_url: sb.url }), '--config', 'ENV', '--test'],
      {
        TAP_RDSTATION_CONVERSAS_ACCESS_TOKEN: sb.token,
        TAP_RDSTATION_CONVERSAS_PRIVATE_KEY_JWK: JSON.stringify(sb.jwk.current),
      },
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/token accepted/);
    expect(res.stderr).toMatch(/connection test passed/);
    expectNoSecrets(sb, res.stdout, res.stderr);
  });

  it('syncs what the catalog selects (metadata, legacy flags, selected-by-default when neither is set)', async () => {
    const discovered = JSON.parse(
      (await runCli(TAP_BIN, ['--config', file('d.json', base()), '--discover'])).stdout,
    ) as {
      streams: {
        tap_stream_id: string;
        selected?: boolean;
        metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[];
      }[];
    };
    const synced = async (catalog: unknown, name: string) => {
      const res = await runCli(TAP_BIN, [
        '--config',
        file('s.json', base()),
        '--catalog',
        file(name, catalog),
      ]);
      expect(res.code, res.stderr).toBe(0);
      return [
        ...new Set(
          res.stdout
            .trim()
            .split('\n')
            .map((l) => (JSON.parse(l) as { stream?: string }).stream)
            .filter(Boolean),
        ),
      ].sort();
    };
    // Unedited, as Meltano SDK taps read it: what discovery selects by default.
    const byDefault = discovered.streams
      .filter((s) => s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata['selected-by-default'])
      .map((s) => s.tap_stream_id)
      .sort();
    expect(byDefault.length).toBeGreaterThan(3);
    expect(await synced(discovered, 'unedited.json')).toEqual(byDefault);
    for (const s of discovered.streams) {
      const root = s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
      root['selected'] = s.tap_stream_id === 'flows';
      if (s.tap_stream_id === 'wallets') {
        delete root['selected'];
        s.selected = true;
      }
    }
    expect(await synced(discovered, 'cat.json')).toEqual(['flows', 'wallets']);
  });
});

describe('bad input: one clear line, non-zero exit, no stack trace, no secret', () => {
  const expectOneLine = (
    res: { code: number | null; stdout: string; stderr: string },
    pattern: RegExp,
    recordsBefore = false,
  ) => {
    expect(res.code).not.toBe(0);
    const lines = res.stderr.trim().split('\n');
    expect(lines, res.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^tap-rdstation-conversas: /);
    expect(lines[0]).toMatch(pattern);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    // A failure found before any request leaves no output; one found mid-run leaves records but no
    // ACTIVATE_VERSION for the failed stream, so a target keeps its previous table.
    if (!recordsBefore) expect(res.stdout.split('\n').filter((l) => l.includes('"RECORD"'))).toHaveLength(0);
    expectNoSecrets(sb, res.stdout, res.stderr);
  };

  it('no config, no token, unreadable config', async () => {
    expectOneLine(await runCli(TAP_BIN, [], quiet), /no --config/);
    expectOneLine(
      await runCli(TAP_BIN, ['--config', file('nt.json', { api_url: sb.url })], quiet),
      /access_token is missing/,
    );
    expectOneLine(
      await runCli(TAP_BIN, ['--config', file('bad.json', `{"access_token": "${sb.token}",`)], quiet),
      /not valid JSON/,
    );
    expectOneLine(
      await runCli(TAP_BIN, ['--config', join(dir, 'nope.json')], quiet),
      /cannot read config file/,
    );
  });

  it('a wrong token (401)', async () => {
    expectOneLine(
      await runCli(
        TAP_BIN,
        ['--config', file('wt.json', { ...base(), access_token: `${sb.token}x` })],
        quiet,
      ),
      /401.*access_token/,
    );
  });

  it('a bad JWK: not JSON, a public key, not RSA', async () => {
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = sb.jwk.current;
    for (const [jwk, pattern] of [
      [`${JSON.stringify(sb.jwk.current).slice(0, 50)}`, /not valid JSON/],
      [publicJwk, /no "d"/],
      [{ kty: 'EC', crv: 'P-256', x: 'abc', y: 'def', d: 'ghi' }, /must be an RSA key/],
    ] as const) {
      expectOneLine(
        await runCli(TAP_BIN, ['--config', file('jwk.json', { ...base(), private_key_jwk: jwk })], quiet),
        pattern,
      );
    }
  });

  it('history selected without start_date, and dates it cannot read', async () => {
    const discovered = JSON.parse(
      (await runCli(TAP_BIN, ['--config', file('d2.json', base()), '--discover'])).stdout,
    ) as { streams: { tap_stream_id: string; selected?: boolean }[] };
    for (const s of discovered.streams) s.selected = s.tap_stream_id === 'messages_history';
    expectOneLine(
      await runCli(
        TAP_BIN,
        ['--config', file('h.json', base()), '--catalog', file('hc.json', discovered)],
        quiet,
      ),
      /start_date is not set/,
    );
    for (const bad of ['ontem', '31/02/2026', '2026-13-01', '2026/01/01']) {
      expectOneLine(
        await runCli(TAP_BIN, ['--config', file('date.json', { ...base(), start_date: bad })], quiet),
        /start_date .* is not a date/,
      );
    }
    expect(
      (
        await runCli(TAP_BIN, [
          '--config',
          file('ok.json', { ...base(), start_date: '01/10/2026' }),
          '--discover',
        ])
      ).code,
    ).toBe(0);
  });

  it('a non-JSON error body (an unknown route answers plain-text Not Found)', async () => {
    expectOneLine(
      await runCli(TAP_BIN, ['--config', file('route.json', { ...base(), api_url: `${sb.url}/api` })], quiet),
      /404 Not Found.*api_url/,
    );
  });

  it('HTML 5xx pages until the retry budget is spent: names the endpoint', async () => {
    const broken = await startSandbox({
      world: { contacts: 2 },
      requestsPerMinute: 0,
      faults: { serverErrors: 1 },
    });
    try {
      const res = await runCli(
        TAP_BIN,
        [
          '--config',
          file('5xx.json', {
            access_token: broken.token,
            api_url: broken.url,
            retry_backoff_seconds: 0.05,
            max_retry_seconds: 1,
          }),
        ],
        quiet,
      );
      expectOneLine(res, /GET \/v2\/[a-z/-]+ failed after \d+ attempts.*server error 50[023]/);
      expect(res.stderr).not.toMatch(/<html>/);
    } finally {
      await broken.close();
    }
  });

  it('history on a plan without it (403) says the Advanced plan is needed', async () => {
    sb.control.plan = 'pro';
    try {
      const res = await runCli(
        TAP_BIN,
        ['--config', file('plan.json', { ...base(), start_date: '2026-01-01' })],
        quiet,
      );
      expectOneLine(res, /403.*Advanced plan/, true);
      expect(res.stdout).not.toMatch(/"ACTIVATE_VERSION","stream":"messages_history"/);
    } finally {
      sb.control.plan = 'advanced';
    }
  });
});

describe('incremental through the Singer catalog (as Meltano runs it)', () => {
  it('replication-method INCREMENTAL: a full pass, then runs that merge from the STATE; FULL_TABLE-only streams say why', async () => {
    const config = file('inc.json', {
      ...base(),
      start_date: dayOf(sb.world.now - 60 * DAY),
      private_key_jwk: JSON.stringify(sb.jwk.current),
    });
    const discovered = JSON.parse((await runCli(TAP_BIN, ['--config', config, '--discover'])).stdout) as {
      streams: {
        tap_stream_id: string;
        metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[];
      }[];
    };
    for (const s of discovered.streams) {
      const root = s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
      root['selected'] = ['messages', 'messages_history'].includes(s.tap_stream_id);
      if (root['selected']) root['replication-method'] = 'INCREMENTAL';
    }
    const both = await runCli(
      TAP_BIN,
      ['--config', config, '--catalog', file('both.json', discovered)],
      quiet,
    );
    expect(both.code).toBe(0);
    expect(both.stderr).toMatch(
      /messages_history: INCREMENTAL asked for, but the stream is FULL_TABLE only \(a record is a page/,
    );

    for (const s of discovered.streams) {
      const root = s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
      root['selected'] = s.tap_stream_id === 'messages';
    }
    const catalog = file('inc-catalog.json', discovered);
    const lines = (out: string) =>
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const first = lines((await runCli(TAP_BIN, ['--config', config, '--catalog', catalog], quiet)).stdout);
    expect(first.some((m) => m['type'] === 'ACTIVATE_VERSION')).toBe(true);
    const schema = first.find((m) => m['type'] === 'SCHEMA')!;
    expect(schema['bookmark_properties']).toEqual(['created_at']);
    const state = first.filter((m) => m['type'] === 'STATE').at(-1)!['value'] as {
      bookmarks: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(state.bookmarks)).toEqual(['messages']);
    expect(state.bookmarks['messages']).toMatchObject({ replication_key: 'created_at' });

    const second = await runCli(
      TAP_BIN,
      ['--config', config, '--catalog', catalog, '--state', file('state.json', state)],
      { LOG_LEVEL: 'info' },
    );
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/messages: incremental from /);
    const out = lines(second.stdout);
    expect(out.some((m) => m['type'] === 'ACTIVATE_VERSION')).toBe(false);
    expect(out.filter((m) => m['type'] === 'RECORD').every((m) => m['version'] === undefined)).toBe(true);

    const bad = structuredClone(discovered);
    bad.streams.find((s) => s.tap_stream_id === 'messages')!.metadata[0]!.metadata['replication-method'] =
      'LOG_BASED';
    const refused = await runCli(TAP_BIN, ['--config', config, '--catalog', file('bad.json', bad)]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n').at(-1)).toMatch(
      /messages has replication-method "LOG_BASED"; use INCREMENTAL or FULL_TABLE/,
    );
  });
});
