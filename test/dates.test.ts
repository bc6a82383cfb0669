/** src/dates.ts: the date forms users type. */
import { describe, expect, it } from 'vitest';
import { parseDay } from '../src/dates.js';

describe('dates', () => {
  it('accepts YYYY-MM-DD, ISO date-times and DD/MM/YYYY; names the day as written', () => {
    expect(parseDay('2026-07-01', 'start_date')).toBe('2026-07-01');
    expect(parseDay('2026-07-01T23:30:00-03:00', 'start_date')).toBe('2026-07-01');
    expect(parseDay('2026-07-01T10:00:00.000Z', 'start_date')).toBe('2026-07-01');
    expect(parseDay('05/03/2026', 'start_date')).toBe('2026-03-05');
    for (const bad of [
      '2026-02-30',
      '30/02/2026',
      '2026/07/01',
      '07/01/26',
      'yesterday',
      '',
      '2026-07-01T25:00:00Z',
    ]) {
      expect(() => parseDay(bad, 'start_date'), bad).toThrow(/is not a date/);
    }
  });
});
