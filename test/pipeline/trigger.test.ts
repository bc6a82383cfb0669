/** Triggers as people give them (pure logic). */
import { describe, expect, it } from 'vitest';
import { checkTimeZone } from '../../src/pipeline/source.js';
import { checkTrigger, cronOf, parseTimeOfDay } from '../../src/pipeline/trigger.js';
import { describeCost } from '../../src/tap/estimate.js';

describe('triggers', () => {
  it.each([
    ['14:30', 14, 30],
    ['14h30', 14, 30],
    ['8h', 8, 0],
    ['8', 8, 0],
    ['08:05', 8, 5],
    ['8am', 8, 0],
    ['8:15 pm', 20, 15],
    ['12 am', 0, 0],
    ['noon', 12, 0],
    ['Midnight', 0, 0],
  ])('reads the time "%s" as %i:%i', (text, hour, minute) => {
    expect(parseTimeOfDay(text)).toEqual({ hour, minute });
  });

  it.each(['25:00', '14:60', 'later', '13pm', ''])(
    'refuses "%s" as a time, saying how to write one',
    (text) => {
      expect(() => parseTimeOfDay(text)).toThrow(/is not a time of day: write it like 14:30, 8h or noon/);
    },
  );

  it('makes cron expressions from the choices', () => {
    expect(cronOf({ trigger: 'daily', time: 'noon' })).toBe('0 12 * * *');
    expect(cronOf({ trigger: 'weekly', time: '8h', weekday: '1' })).toBe('0 8 * * 1');
    expect(cronOf({ trigger: 'times', times: '18h, 08:00, 12:00' })).toBe('0 8,12,18 * * *');
    expect(() => cronOf({ trigger: 'times', times: '08:00, 12:30' })).toThrow(/share their minutes/);
    expect(cronOf({ trigger: 'manual' })).toBe('');
  });

  it('refuses triggers more often than every 5 minutes, or that never fire', () => {
    expect(() => checkTrigger('* * * * * *', 'UTC')).toThrow(/fires every 1 s: at most once every 5 minutes/);
    expect(() => checkTrigger('* * * * *', 'UTC')).toThrow(/fires every 1 min/);
    expect(() => checkTrigger('0 0 31 2 *', 'UTC')).toThrow(/never fires/);
    expect(checkTrigger('*/5 * * * *', 'UTC')).toBe('*/5 * * * *');
    expect(checkTrigger('0 3 * * *', 'America/Sao_Paulo')).toBe('0 3 * * *');
  });

  it('checks time zones', () => {
    expect(checkTimeZone('America/Sao_Paulo')).toBe('America/Sao_Paulo');
    expect(() => checkTimeZone('Mars/Olympus')).toThrow(/"Mars\/Olympus" is not a time zone/);
  });

  it('says a cost in honest units', () => {
    expect(describeCost(13, 6000)).toBe('≈ 13 requests ≈ < 1 s at 6000/min');
    expect(describeCost(40, 48)).toBe('≈ 40 requests ≈ 50 s at 48/min');
    expect(describeCost(1560, 48)).toBe('≈ 1,560 requests ≈ 33 min at 48/min');
    expect(describeCost(56_241, 48)).toBe('≈ 56,241 requests ≈ 19 h 32 min at 48/min');
  });
});
