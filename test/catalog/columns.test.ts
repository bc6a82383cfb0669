/** src/catalog/columns.ts: table columns from a stream's schema. */
import { describe, expect, it } from 'vitest';
import { columnsOf, rowLine } from '../../src/catalog/columns.js';

describe('catalog columns', () => {
  it('types known fields, STRUCTs for known objects, and sends the rest to _extra', () => {
    const columns = columnsOf({
      type: 'object',
      properties: {
        id: { type: ['integer', 'null'] },
        at: { type: 'string', format: 'date-time' },
        address: { type: 'object', properties: { city: { type: 'string' } } },
        Id: { type: 'string' },
      },
    });
    expect(columns.map((c) => c.name)).toEqual(['id', 'at', 'address']);
    const line = JSON.parse(
      rowLine({ id: 'x', at: 'not a date', address: { city: 'Belém', geo: 1 }, other: true }, columns, 7),
    ) as Record<string, unknown>;
    expect(line).toEqual({
      address: { city: 'Belém' },
      _sdc_sequence: 7,
      _extra: { id: 'x', at: 'not a date', address: { geo: 1 }, other: true },
    });
  });
});
