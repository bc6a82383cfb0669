/**
 * The wizard's form as a source: the tap config and source file its fields describe (secrets kept from the saved
 * source when left empty; a sandbox source keeps none of the sandbox's settings), its trigger, a summary for the
 * last step, and which field a refusal is about (so the page shows it beside that field, on its step).
 */
import type { RawConfig } from '../config.js';
import type { SourceDirectory } from '../pipeline/directory.js';
import { checkTimeZone, machineTimeZone } from '../pipeline/source.js';
import { checkTrigger, cronOf, type TriggerChoice } from '../pipeline/trigger.js';
import { MODEL_STREAMS, modelNames } from '../models/index.js';
import { STREAMS } from '../streams/index.js';

export interface FormOptions {
  sources: SourceDirectory;
  defaults: RawConfig;
  sandbox: RawConfig | undefined;
}

/** What the wizard posts: its fields, flat. */
export type Form = Record<string, unknown>;

export const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/** The tap config a form describes (secrets from the saved source when the form leaves them empty). */
export function configOf(form: Form, o: FormOptions): RawConfig {
  const editing = text(form['editing']);
  const saved = editing ? ((o.sources.raw(editing)['config'] ?? {}) as RawConfig) : {};
  const config: RawConfig = { ...o.defaults, ...saved };
  for (const key of ['access_token', 'private_key_jwk', 'start_date'] as const)
    if (text(form[key])) config[key] = text(form[key]);
  if (usesSandbox(form, o)) Object.assign(config, o.sandbox);
  if (text(form['full_sync_every_days']) !== '')
    config['full_sync_every_days'] = Number(form['full_sync_every_days']);
  return config;
}

/** Whether the form's source runs on the sandbox (ticked now, or made so). */
const usesSandbox = (form: Form, o: FormOptions): boolean =>
  o.sandbox !== undefined &&
  (form['use_sandbox'] === true ||
    (text(form['editing']) !== '' && o.sources.raw(text(form['editing']))['sandbox'] === true));

/** What a sandbox source keeps of its config: not the sandbox's URL, token or key, which change every launch. */
const SANDBOX_SETTINGS = ['api_url', 'access_token', 'private_key_jwk', 'requests_per_minute'];

/** The trigger the form's fields make, checked as the app allows it, in the form's time zone. */
export function triggerOf(form: Form): { schedule: string; timezone: string } {
  const timezone = checkTimeZone(text(form['timezone']) || machineTimeZone(), 'time zone');
  const kind = text(form['trigger']) as TriggerChoice['trigger'];
  const schedule = cronOf({
    trigger: kind,
    time: text(form['time']),
    weekday: text(form['weekday']),
    times: text(form['times']),
    cron: text(form['cron']),
  });
  return { schedule: schedule ? checkTrigger(schedule, timezone) : '', timezone };
}

/** The source file a form describes. */
export function sourceOf(form: Form, o: FormOptions): RawConfig {
  const sandbox = usesSandbox(form, o);
  const config = configOf(form, o);
  if (sandbox) for (const key of SANDBOX_SETTINGS) delete config[key];
  const selected = new Set(Array.isArray(form['streams']) ? form['streams'].map(String) : []);
  const streams: Record<string, Record<string, unknown>> = {};
  for (const s of STREAMS) {
    const table = text(form[`table:${s.name}`]);
    const sync = text(form[`sync:${s.name}`]);
    streams[s.name] = {
      selected: selected.has(s.name),
      ...(table && table !== s.name ? { table } : {}),
      ...(sync === 'incremental' ? { sync } : {}),
    };
  }
  const { schedule, timezone } = triggerOf(form);
  const full = text(form['full_sync_schedule']);
  if (full) checkTrigger(full, timezone);
  const layer = text(form['layer']) === '__new' ? text(form['new_layer']) : text(form['layer']);
  return {
    name: text(form['name']),
    description: typeof form['description'] === 'string' ? form['description'] : '',
    ...(sandbox ? { sandbox: true } : {}),
    config,
    layer: layer || 'raw',
    folder: text(form['folder']),
    table_prefix: text(form['table_prefix']),
    ...(schedule ? { schedule } : {}),
    timezone,
    ...(full ? { full_sync_schedule: full } : {}),
    retention_days: Number(text(form['retention_days']) || 7),
    // Empty: no metrics views (the field starts as "service", the default).
    models_layer: text(form['models_layer']) || false,
    streams,
  };
}

/** Which field of the wizard a refusal is about (its message names it as the command line would), if any. */
export function fieldOf(message: string): string | undefined {
  const rules: [RegExp, string | ((m: RegExpExecArray) => string)][] = [
    [/^table name for (\w+)/, (m) => `table:${m[1]}`],
    [/^streams\.(\w+)\.layer/, 'layer'],
    [/^models_layer/, 'models_layer'],
    [/^layer |one of DuckDB's own schemas|reserved for the catalog/, 'layer'],
    [/^folder \+ table_prefix|is written by source|holds the data of source/, 'table_prefix'],
    [/^description/, 'description'],
    [/time zone/, 'timezone'],
    [/time of day|share their minutes|no time given/, 'time'],
    [/^schedule "|never fires|fires every/, 'trigger'],
    [/^full_sync_schedule/, 'full_sync_schedule'],
    [/start_date|start date/, 'start_date'],
    [/private_key_jwk/, 'private_key_jwk'],
    [/access_token/, 'access_token'],
    [/no stream is selected|is selected but/, 'stream'],
    [/source name|a source named|demo's name|needs a name|name is fixed/, 'name'],
    [/retention_days/, 'retention_days'],
  ];
  for (const [pattern, field] of rules) {
    const match = pattern.exec(message);
    if (match) return typeof field === 'string' ? field : field(match);
  }
  return undefined;
}

function metricsLine(layer: unknown, start: string, streams: Record<string, { selected: boolean }>): string {
  if (layer === false) return 'none';
  if (!MODEL_STREAMS.every((s) => streams[s]?.selected))
    return `none (they need ${MODEL_STREAMS.join(' and ')})`;
  return `views ${Object.values(modelNames(start))
    .map((name) => `${String(layer)}.${name}`)
    .join(', ')}`;
}

/** What the last step shows before saving: everything chosen, in words. */
export function summaryOf(
  form: Form,
  o: FormOptions,
  inWords: (cron: string | undefined, timezone?: string) => string,
): string[] {
  const raw = sourceOf(form, o);
  const streams = raw['streams'] as Record<string, { selected: boolean; table?: string; sync?: string }>;
  const layer = String(raw['layer']);
  const start = `${String(raw['folder'] ?? '')}${String(raw['table_prefix'] ?? '')}`;
  const chosen = STREAMS.filter((s) => streams[s.name]?.selected).map((s) => {
    const settings = streams[s.name]!;
    const table = `${start}${settings.table ?? s.name}`;
    return `  ${s.name} → ${layer}.${table} (${settings.sync === 'incremental' ? 'incremental' : 'full table'})`;
  });
  const config = raw['config'] as RawConfig;
  const every = config['full_sync_every_days'];
  return [
    `Source: ${String(raw['name']) || '(no name yet)'}${raw['description'] ? `: ${String(raw['description'])}` : ''}`,
    `Reads: ${raw['sandbox'] === true ? 'the sandbox' : String(config['api_url'] ?? 'the RD Station Conversas API')}`,
    `Streams and tables (${chosen.length}):`,
    ...(chosen.length ? chosen : ['  none selected']),
    `Trigger: ${raw['schedule'] ? inWords(String(raw['schedule']), String(raw['timezone'])) : 'manual only (▶ on the Sources page)'}`,
    `Conversation metrics: ${metricsLine(raw['models_layer'], start, streams)}`,
    `Versions kept: ${String(raw['retention_days'])} day(s) after they are replaced`,
    `Additional full sync: ${
      raw['full_sync_schedule']
        ? inWords(String(raw['full_sync_schedule']), String(raw['timezone']))
        : every !== undefined
          ? `every ${String(every)} day(s)`
          : 'none'
    }`,
  ];
}
