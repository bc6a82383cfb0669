/** Saving a source refuses what a run would refuse, before anything is written (pure logic: no API, no catalog). */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawConfig } from '../../src/config.js';
import { SourceDirectory } from '../../src/pipeline/directory.js';
import { onlyStreams } from '../helpers.js';

const config = { access_token: 'token-for-saving', api_url: 'http://127.0.0.1:9', start_date: '2026-01-01' };
const fresh = () => new SourceDirectory(mkdtempSync(join(tmpdir(), 'sources-')));
const source = (extra: RawConfig = {}): RawConfig => ({
  name: 'people',
  config,
  streams: onlyStreams('contacts'),
  ...extra,
});

describe('SourceDirectory.save refuses', () => {
  it.each(['information_schema', 'pg_catalog', 'main', 'temp', 'system'])(
    'a layer DuckDB keeps for itself (%s)',
    (layer) => {
      const sources = fresh();
      expect(() => sources.save(source({ layer }))).toThrow(
        `layer "${layer}" is one of DuckDB's own schemas`,
      );
      expect(() => sources.save(source({ streams: { contacts: { selected: true, layer } } }))).toThrow(
        /one of DuckDB's own schemas/,
      );
      expect(existsSync(sources.fileOf('people'))).toBe(false);
    },
  );

  it("the catalog's own layer names", () => {
    expect(() => fresh().save(source({ layer: '_conversas_x' }))).toThrow(/reserved for the catalog's own/);
  });

  it('a stream whose needed setting is missing, and no stream at all', () => {
    const sources = fresh();
    const noStart = { ...config, start_date: undefined };
    expect(() =>
      sources.save(source({ config: noStart, streams: onlyStreams('contacts', 'messages_history') })),
    ).toThrow(
      'messages_history is selected but start_date is not set: set start_date (e.g. 2026-01-01) or deselect messages_history',
    );
    expect(() => sources.save(source({ streams: onlyStreams() }))).toThrow(/no stream is selected/);
    expect(sources.names()).toEqual([]);
  });

  it('a table another source of the directory writes, or the catalog says another source holds', () => {
    const sources = fresh();
    sources.save(source());
    expect(() =>
      sources.save(source({ name: 'others', streams: onlyStreams('contacts', 'employees') })),
    ).toThrow('raw.contacts is written by source "people" already');
    sources.save(
      source({ name: 'others', table_prefix: 'b_', streams: onlyStreams('contacts', 'employees') }),
    );
    const owners = new Map([
      ['raw.flows', 'elsewhere'],
      ['raw.wallets', 'sandbox'],
    ]);
    expect(() =>
      sources.save(source({ name: 'third', streams: onlyStreams('flows') }), undefined, { owners }),
    ).toThrow('raw.flows holds the data of source "elsewhere" in the catalog');
    // The demo's tables may be replaced by a real source.
    sources.save(source({ name: 'third', streams: onlyStreams('wallets') }), undefined, { owners });
    expect(sources.names()).toEqual(['others', 'people', 'third']);
  });

  it("another source's views of the service layer, and a models_layer that is no layer name", () => {
    const sources = fresh();
    const conversations = onlyStreams('messages', 'reports');
    const withKey = { ...config, private_key_jwk: { kty: 'RSA' } };
    const source = (extra: RawConfig): RawConfig => ({ name: 'people', config: withKey, ...extra });
    sources.save(source({ streams: conversations }));
    // Its tables land elsewhere, but its metrics views would take the same names.
    expect(() => sources.save(source({ name: 'second', layer: 'raw_b', streams: conversations }))).toThrow(
      'service.attendances is written by source "people" already',
    );
    sources.save(
      source({ name: 'second', layer: 'raw_b', models_layer: 'service_b', streams: conversations }),
    );
    sources.save(source({ name: 'third', layer: 'raw_c', models_layer: false, streams: conversations }));
    expect(() => sources.save(source({ name: 'fourth', models_layer: 'main' }))).toThrow(
      /models_layer "main" is one of DuckDB's own schemas/,
    );
    expect(() => sources.save(source({ name: 'fourth', models_layer: 3 }))).toThrow(
      'models_layer must be a layer name (e.g. "service") or false (no metrics views)',
    );
    expect(sources.names()).toEqual(['people', 'second', 'third']);
  });

  it("the demo's name, and a new name for a source (its tables, state and runs are kept under its name)", () => {
    const sources = fresh();
    expect(() => sources.save(source({ name: 'sandbox' }))).toThrow(/"sandbox" is the demo's name/);
    sources.save(source());
    expect(() => sources.save(source({ name: 'renamed' }), 'people')).toThrow(
      /a source's name is fixed once it is made \("people"\)/,
    );
    // The same name, edited, is fine; secrets left empty keep the saved ones.
    sources.save(source({ description: 'edited', config: { ...config, access_token: '' } }), 'people');
    expect(sources.raw('people')['description']).toBe('edited');
    expect((sources.raw('people')['config'] as RawConfig)['access_token']).toBe(config.access_token);
    expect(sources.names()).toEqual(['people']);
  });
});
