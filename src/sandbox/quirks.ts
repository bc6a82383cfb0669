/**
 * Every behaviour of the simulated API that the notes mark as unsure lives here, each with a pointer to
 * the section of docs/api-notes.md that it follows. Change a fact here and the whole sandbox follows.
 *
 * The sandbox plays the API, not our client: nothing here is imported by the tap.
 */
export const QUIRKS = {
  /** §2, §5.1: /v2/customers is a bare array; the server caps `limit` (max page size unknown live). */
  customers: { defaultLimit: 100, maxLimit: 100 },

  /** §5.5: history `limit` documented 1..100, default 15; page 1 is the newest. */
  history: {
    defaultLimit: 15,
    maxLimit: 100,
    /** §5.5 "Without start_date the window is ≈ 30 days" [observed live by a third party]. */
    windowDaysWithoutStart: 30,
    /** §5.5 documented defaults: a client that omits a filter silently loses bot, media and non-WhatsApp rows. */
    defaultSentBy: ['customer', 'operator'],
    defaultType: ['text'],
    defaultChannel: ['whatsapp'],
  },

  /** §5.6: `limit` max 49; window ≤ ~3 months (murano-crm keeps ≤ 89 days). We reject a span over 90 days. */
  reports: { defaultLimit: 10, maxLimit: 49, maxWindowDays: 90 },

  /** §3.2: ≈ 48 requests/minute sustained, bursts of ~30. No Retry-After known. */
  rateLimit: { requestsPerMinute: 48, burst: 30 },

  /** §4: alg RSA-OAEP-256 [observed]; enc unknown, A256GCM assumed [inference]. */
  jwe: { alg: 'RSA-OAEP-256', enc: 'A256GCM' },

  /**
   * §5.2 custom-fields and §5.9 integrations: shapes unknown or conflicting. `standard` is our best guess; the
   * `alternate` envelope set serves the other shapes the sources report, so a client can be tested on both.
   */
  envelopes: {
    standard: {
      customFields: 'bare',
      whatsappIntegrations: 'bare',
      employeesIdKey: '_id',
      workflowsStagesKey: 'stages',
      customers: 'bare',
      customersIdKey: '_id',
      wallets: 'strings',
    },
    alternate: {
      customFields: 'custom_fields',
      whatsappIntegrations: 'integrations',
      employeesIdKey: 'id',
      workflowsStagesKey: 'wallet',
      customers: 'data',
      customersIdKey: 'id',
      wallets: 'objects',
    },
  },
} as const;

export type EnvelopeSet = keyof typeof QUIRKS.envelopes;
