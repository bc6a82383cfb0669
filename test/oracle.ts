/**
 * The test oracle: what a complete extraction of a sandbox world must contain, in the tap's vocabulary (one
 * record per stream item, one messages_history record per page of 100 messages). It lives with the tests:
 * the sandbox plays the API and knows nothing of how the tap shapes its output.
 */
import type { DateWindow, World } from '../src/sandbox/index.js';

const DAY = 86_400_000;
/** Messages per history page the tap asks for. */
export const HISTORY_PAGE = 100;

/** The history window a client asking for [startDay, endDay] (inclusive days, UTC) gets. */
export function dayWindow(startDay: string, endDay: string): DateWindow {
  return { from: Date.parse(`${startDay}T00:00:00Z`), to: Date.parse(`${endDay}T00:00:00Z`) + DAY };
}

/**
 * The rows the `messages` stream must hold for one contact: every message in the window, in the API's order,
 * unless the contact's pages are under a rotated key (none then).
 */
export function expectedMessageRows(world: World, index: number, window: DateWindow) {
  return world.variant(index).rotatedKey ? [] : world.expectedMessages(index, window);
}

/**
 * Records per stream a complete extraction holds, given the history window and the reports range, and the
 * number of messages in the window.
 */
export function groundTruth(
  world: World,
  query: {
    history?: DateWindow;
    reportsFrom: string;
    reportsTo: string;
    pageSize?: number;
    /** Decrypted with the current key: the `messages` stream has a row per readable message. */
    decrypted?: boolean;
  },
): { records: Record<string, number>; messages: number } {
  const pageSize = query.pageSize ?? HISTORY_PAGE;
  let pages = 0;
  let messages = 0;
  let readable = 0;
  if (query.history) {
    for (let i = 0; i < world.options.contacts; i++) {
      const n = world.expectedMessages(i, query.history).length;
      messages += n;
      pages += Math.ceil(n / pageSize);
      if (!world.variant(i).rotatedKey) readable += n;
    }
  }
  const { account } = world;
  const records: Record<string, number> = {
    contacts: world.options.contacts,
    custom_fields: account.customFields().length,
    employees: account.employees().length,
    flows: account.flows().length,
    reports: world.reportsBetween(query.reportsFrom, query.reportsTo).length,
    templates: account.templates().length,
    wallets: account.wallets().length,
    whatsapp_integrations: account.whatsappIntegrations().length,
    whatsapp_official_integrations: account.whatsappOfficialIntegrations().length,
    workflows: account.workflows().length,
  };
  if (query.history) records['messages_history'] = pages;
  if (query.history && query.decrypted) records['messages'] = readable;
  return { records, messages };
}
