/** The wizard's form made into a source file, and the last step's summary of it (pure logic). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SourceDirectory } from '../../src/pipeline/directory.js';
import { sourceOf, summaryOf, type Form } from '../../src/ui/form.js';

const o = {
  sources: new SourceDirectory(mkdtempSync(join(tmpdir(), 'form-'))),
  defaults: {},
  sandbox: undefined,
};
const form = (extra: Form): Form => ({
  name: 'people',
  access_token: 't',
  trigger: 'manual',
  timezone: 'UTC',
  streams: ['contacts', 'messages', 'reports'],
  table_prefix: 'day_',
  ...extra,
});
const metricsLine = (f: Form) =>
  summaryOf(f, o, () => 'manual').find((line) => line.startsWith('Conversation metrics:'));

describe('the metrics layer in the wizard', () => {
  it('names the views the sync will make, or says why there are none', () => {
    expect(sourceOf(form({ models_layer: 'service' }), o)['models_layer']).toBe('service');
    expect(metricsLine(form({ models_layer: 'kpi' }))).toBe(
      'Conversation metrics: views kpi.day_attendances, kpi.day_conversation_days, kpi.day_contacts_activity',
    );
    // Emptied: none (saved as false).
    expect(sourceOf(form({ models_layer: ' ' }), o)['models_layer']).toBe(false);
    expect(metricsLine(form({ models_layer: '' }))).toBe('Conversation metrics: none');
    expect(metricsLine(form({ models_layer: 'service', streams: ['contacts', 'messages'] }))).toBe(
      'Conversation metrics: none (they need messages and reports)',
    );
  });
});
