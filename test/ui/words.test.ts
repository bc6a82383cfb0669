/** The app's words for the pipeline's messages (pure logic). */
import { describe, expect, it } from 'vitest';
import { inAppWords } from '../../src/ui/words.js';

describe('inAppWords', () => {
  it('names what the app calls things, not command-line options or setting keys', () => {
    expect(
      inAppWords(
        'raw.contacts holds the data of source "real"; source "x" will not overwrite it: choose another --layer or --prefix, or another --db',
      ),
    ).toBe(
      'raw.contacts holds the data of source "real"; source "x" will not overwrite it: choose another layer or table prefix (step 3)',
    );
    expect(
      inAppWords('messages_history is selected but start_date is not set: set start_date (e.g. 2026-01-01)'),
    ).toBe(
      'messages_history is selected but the start date is not set: set the start date (e.g. 2026-01-01)',
    );
    expect(inAppWords('GET /v2/customers: cannot connect to http://x (ECONNREFUSED): check api_url')).toMatch(
      /check the API address$/,
    );
    expect(inAppWords('private_key_jwk has no "d"')).toBe('the private key has no "d"');
  });
});
