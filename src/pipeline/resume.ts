/**
 * What a sync is of, and the STATE it starts from: an interrupted sync resumes only when it is of the same
 * thing (account, dates, streams, tables, modes), else it starts over and says why; an incremental stream's
 * bookmark holds only for the account, history start and table it filled. `conversas sync` and
 * `conversas plan` both start here.
 */
import type { RawConfig, TapConfig } from '../config.js';
import type { Logger } from '../log.js';
import { parseState, unfinishedStreams, withoutProgress, type TapState } from '../singer/state.js';
import { accountOf } from '../tap/account.js';
import type { SavedState } from '../catalog/store.js';
import { replicationMethods, tableFor, type Source } from './source.js';

/** What a sync is of: a resume must be of the same thing, or start over. */
export interface SyncSettings {
  api_url: string;
  /** The account the token names (tap/account.ts; never the token). */
  account: string;
  start_date: string | null;
  /** The end_date setting as given (null: "today", which a resume keeps from the interrupted run). */
  end_date_setting: string | null;
  streams: string[];
  tables: string[];
  /** Each stream's sync mode (incremental or full_table). */
  modes: string[];
  /** The end day the interrupted run used (not compared: reused when end_date is "today"). */
  end_date: string;
}

const COMPARED: [keyof SyncSettings, string][] = [
  ['api_url', 'api_url'],
  ['account', 'the account (access_token)'],
  ['start_date', 'start_date'],
  ['end_date_setting', 'end_date'],
  ['streams', 'the selected streams'],
  ['tables', 'the tables (layer, folder, prefix or names)'],
  ['modes', 'the sync modes'],
];

/** Why a saved STATE cannot be resumed by this sync, or undefined when it can. */
function differences(saved: unknown, now: SyncSettings): string | undefined {
  if (!saved || typeof saved !== 'object') return 'it was saved by another command';
  const old = saved as Partial<SyncSettings>;
  const changed = COMPARED.filter(([key]) => JSON.stringify(old[key]) !== JSON.stringify(now[key]));
  return changed.length ? `${changed.map(([, label]) => label).join(', ')} changed` : undefined;
}

/**
 * The bookmarks that still describe what they filled: a stream's bookmark holds for the same account, history
 * start and table only; the others are dropped (that stream starts with a full pass), and the log says why.
 */
function bookmarksThatHold(state: TapState, saved: unknown, now: SyncSettings, log: Logger): TapState {
  if (saved === null || saved === undefined) return state;
  const old = saved as Partial<SyncSettings>;
  const origin = [
    old.api_url !== now.api_url || (old.account !== undefined && old.account !== now.account)
      ? 'another account or api_url'
      : '',
    old.start_date !== now.start_date ? `start_date ${old.start_date ?? '(none)'}` : '',
  ].filter(Boolean);
  const bookmarks: TapState['bookmarks'] = {};
  for (const [stream, bookmark] of Object.entries(state.bookmarks)) {
    const table = now.tables.find((t) => t.startsWith(`${stream}=`));
    const was = old.tables?.find((t) => t.startsWith(`${stream}=`));
    const why = [...origin, table !== was && table ? `table ${was?.split('=')[1] ?? '(none)'}` : ''].filter(
      Boolean,
    );
    if (why.length === 0 || !bookmark.replication_key_value) bookmarks[stream] = bookmark;
    else
      log.info(
        `${stream}: its bookmark was for ${why.join(', ')}; a full pass fills ${table?.split('=')[1] ?? 'it'}`,
      );
  }
  return { ...state, bookmarks };
}

export function syncSettingsOf(
  source: Source,
  raw: RawConfig,
  config: TapConfig,
  selected: readonly string[],
): SyncSettings {
  const methods = replicationMethods(source);
  const endSetting = raw['end_date'] === undefined || raw['end_date'] === '' ? null : String(raw['end_date']);
  return {
    api_url: config.api_url,
    account: accountOf(config),
    start_date: config.start_date ?? null,
    end_date_setting: endSetting,
    streams: [...selected],
    tables: selected.map((s) => {
      const t = tableFor(source, s);
      return `${s}=${t.layer}.${t.name}`;
    }),
    modes: selected.map((s) => `${s}=${methods.get(s) === 'INCREMENTAL' ? 'incremental' : 'full_table'}`),
    end_date: config.end_date,
  };
}

/**
 * The STATE a sync starts from (its saved one, resumed when of the same sync), the config it runs with (a
 * resume keeps the interrupted run's "today"), and whether it resumes. Logs what it decided.
 */
export function stateForRun(
  saved: SavedState | undefined,
  settings: SyncSettings,
  config: TapConfig,
  log: Logger,
): { state: TapState; resumed: boolean; config: TapConfig } {
  let state = parseState(saved?.value);
  const unfinished = unfinishedStreams(state);
  let resumed = unfinished.length > 0;
  const why = resumed ? differences(saved?.settings, settings) : undefined;
  if (why) {
    log.warn(`not resuming the interrupted sync (${why} since): starting over`);
    state = withoutProgress(state);
    resumed = false;
  }
  if (!resumed) return { state: bookmarksThatHold(state, saved?.settings, settings, log), resumed, config };
  log.info(`resuming the interrupted sync (${unfinished.join(', ')})`);
  // "Today" is the day the interrupted run started: a resume the next day reads the same window.
  const savedEnd = (saved?.settings as SyncSettings).end_date;
  if (settings.end_date_setting === null && savedEnd !== config.end_date) {
    settings.end_date = savedEnd;
    return { state, resumed, config: { ...config, end_date: savedEnd } };
  }
  return { state, resumed, config };
}
