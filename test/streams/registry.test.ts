/** src/streams/: the registry and the rules every stream definition follows. */
import { configDays } from '../../src/tap/read-plan.js';
import { describe, expect, it } from 'vitest';
import { SETTING_NAMES, validateConfig } from '../../src/config.js';
import {
  CONNECTION_CHECK,
  isChild,
  isDerived,
  isRunnable,
  missingSettings,
  streamByName,
  STREAMS,
} from '../../src/streams/index.js';

describe('stream registry', () => {
  it('names each stream once; every key is a schema property; every parent is registered', () => {
    expect(new Set(STREAMS.map((s) => s.name)).size).toBe(STREAMS.length);
    for (const s of STREAMS) {
      for (const key of s.keys) expect(Object.keys(s.schema.properties ?? {}), s.name).toContain(key);
      if (isChild(s)) expect(streamByName(s.parent.stream), s.name).toBeDefined();
      for (const need of s.needs ?? []) expect(SETTING_NAMES).toContain(need);
      if (isDerived(s)) expect(streamByName(s.base), s.name).toBeDefined();
      else if (s.paging.kind === 'dateWindows')
        expect(s.window, `${s.name} declares its window`).toBeDefined();
    }
  });

  it('a stream that needs a setting runs only when it is set', () => {
    const without = validateConfig({ access_token: 't' });
    const withDate = validateConfig({
      access_token: 't',
      start_date: '2026-01-01',
      private_key_jwk: { kty: 'RSA' },
    });
    const needy = STREAMS.filter((s) => s.needs?.length);
    expect(needy.length).toBeGreaterThan(0);
    for (const s of needy) {
      expect(isRunnable(s, without)).toBe(false);
      expect(missingSettings(s, without)).toEqual(s.needs);
      expect(isRunnable(s, withDate)).toBe(true);
    }
    for (const s of STREAMS.filter((s) => !s.needs?.length)) expect(isRunnable(s, without)).toBe(true);
  });

  it('--test reads the token stream and a child of it that decrypts', () => {
    expect(CONNECTION_CHECK.key.parent.stream).toBe(CONNECTION_CHECK.token.name);
    expect(CONNECTION_CHECK.key.planAdvice).toBeTruthy();
  });

  it('a date-windowed stream reads the days of the run (from start_date, or its default span, to end_date)', () => {
    const config = validateConfig({ access_token: 't', start_date: '2026-01-01', end_date: '2026-02-01' });
    for (const s of STREAMS)
      if (!isDerived(s) && s.window)
        expect(s.window(configDays(config), config)).toEqual({
          startDay: '2026-01-01',
          endDay: '2026-02-01',
        });
  });
});
