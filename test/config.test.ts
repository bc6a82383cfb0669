/** src/config.ts: one declaration per setting; everything else derives from it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  configFromEnv,
  envName,
  readJsonFile,
  SETTING_NAMES,
  SETTINGS,
  validateConfig,
} from '../src/config.js';
import { about } from '../src/tap/about.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');

describe('settings', () => {
  it('a validated config has exactly the declared settings, with their defaults', () => {
    const config = validateConfig({ access_token: 'a.b.c' }, NOW);
    expect(Object.keys(config).sort()).toEqual([...SETTING_NAMES].sort());
    expect(config.end_date).toBe('2026-11-25');
    expect(config.start_date).toBeUndefined();
    for (const name of SETTING_NAMES) {
      const fallback = SETTINGS[name].default;
      if (typeof fallback === 'number') expect(config[name], name).toBe(fallback);
    }
    expect(config.api_url).toBe(SETTINGS.api_url.default);
  });

  it('reads every setting from its environment variable, named from the declaration', () => {
    const env = Object.fromEntries(SETTING_NAMES.map((name) => [envName(name), `value-of-${name}`]));
    expect(Object.keys(configFromEnv(env)).sort()).toEqual([...SETTING_NAMES].sort());
    expect(envName('access_token')).toBe('TAP_RDSTATION_CONVERSAS_ACCESS_TOKEN');
    const config = validateConfig(
      { access_token: 't', requests_per_minute: '12', partition_concurrency: '3', start_date: '01/02/2026' },
      NOW,
    );
    expect([config.requests_per_minute, config.partition_concurrency, config.start_date]).toEqual([
      12,
      3,
      '2026-02-01',
    ]);
  });

  it('rejects bad values in one line naming the setting', () => {
    expect(() => validateConfig({}, NOW)).toThrow(/access_token is missing/);
    expect(() => validateConfig({ access_token: 't', partition_concurrency: 2.5 }, NOW)).toThrow(
      /partition_concurrency must be a positive whole number/,
    );
    expect(() => validateConfig({ access_token: 't', requests_per_minute: 0 }, NOW)).toThrow(
      /requests_per_minute must be a positive whole number/,
    );
    expect(() => validateConfig({ access_token: 't', api_url: 'ftp://x' }, NOW)).toThrow(/api_url/);
    expect(() =>
      validateConfig({ access_token: 't', start_date: '2026-12-01', end_date: '2026-11-01' }, NOW),
    ).toThrow(/start_date 2026-12-01 is after end_date 2026-11-01/);
  });

  it('--about lists every declared setting; "required for" comes from the streams that need it', () => {
    const { settings, env_var_prefix } = about() as {
      settings: { properties: Record<string, { description: string }>; required: string[] };
      env_var_prefix: string;
    };
    expect(Object.keys(settings.properties)).toEqual(SETTING_NAMES);
    expect(settings.required).toEqual(['access_token']);
    expect(settings.properties['start_date']!.description).toContain('Needed by messages_history, messages.');
    expect(settings.properties['private_key_jwk']!.description).toContain('Needed by messages.');
    expect(settings.properties['api_url']!.description).not.toContain('Needed by');
    for (const name of SETTING_NAMES) expect(envName(name)).toBe(env_var_prefix + name.toUpperCase());
  });
});

describe('a JSON file cut short', () => {
  it('says so instead of "somewhere"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'conversas-json-'));
    const path = join(dir, 'state.json');
    writeFileSync(path, '{"bookmarks": {"messages": ');
    expect(() => readJsonFile(path, 'state')).toThrow(
      `state file ${path} is not valid JSON (it ends too soon: is the file cut short?)`,
    );
  });
});
