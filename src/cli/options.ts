/** The flags `sync`, `schedule` and `load` share, and how they combine with the source file. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { readConfigSources } from '../config.js';
import { ConfigError } from '../errors.js';
import { SANDBOX_SOURCE } from '../catalog/store.js';
import { checkLayer, parseSource, readSource, type Source } from '../pipeline/source.js';

export const DEFAULT_DB = './conversas.duckdb';
export const DEFAULT_SOURCE = './conversas.json';

export interface NamingOptions {
  layer?: string;
  folder?: string;
  prefix?: string;
  retentionDays?: string;
}

export interface SourceOptions extends NamingOptions {
  source?: string;
  db: string;
  sandbox?: boolean;
  contacts?: string;
  config: string[];
  fresh?: boolean;
  full?: boolean;
}

/** Naming and retention flags, over the source file's values. */
export function withNamingOptions(command: Command): Command {
  return command
    .option('--layer <name>', 'layer (DuckDB schema) for every table')
    .option('--folder <text>', 'folder: the start of every table name')
    .option('--prefix <text>', 'table prefix')
    .option('--retention-days <n>', 'days old versions stay queryable');
}

export function applyNaming(source: Source, opts: NamingOptions): Source {
  if (opts.layer !== undefined) source.layer = checkLayer('--layer', opts.layer);
  if (opts.folder !== undefined) source.folder = opts.folder;
  if (opts.prefix !== undefined) source.table_prefix = opts.prefix;
  if (opts.retentionDays !== undefined) {
    const days = Number(opts.retentionDays);
    if (!Number.isFinite(days) || days < 0)
      throw new ConfigError('--retention-days must be a number of days ≥ 0');
    source.retention_days = days;
  }
  return source;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function loadSource(opts: SourceOptions): Source {
  if (opts.sandbox) {
    // The demo is a source of its own: it never reads a real source's file, state or tables.
    if (opts.source !== undefined || opts.config.length)
      throw new ConfigError('--sandbox syncs the built-in simulator: it takes no --source or --config');
    return applyNaming(parseSource({ name: SANDBOX_SOURCE, description: 'the built-in API sandbox' }), opts);
  }
  const path = opts.source ?? (existsSync(DEFAULT_SOURCE) ? DEFAULT_SOURCE : undefined);
  const source = path ? readSource(path) : parseSource({});
  if (source.sandbox && opts.config.length === 0)
    throw new ConfigError(
      `${path ?? 'the source'} was made to try the sandbox and keeps no URL, token or key: run it under conversas serve --sandbox (or conversas ui --sandbox), which gives it the sandbox's, or pass a real account's settings with --config`,
    );
  if (opts.config.length) Object.assign(source.config, readConfigSources(opts.config));
  if (!path && opts.config.length === 0) {
    throw new ConfigError(
      `no source: write ${DEFAULT_SOURCE} (see README), pass --source FILE or --config FILE, or try --sandbox`,
    );
  }
  return applyNaming(source, opts);
}

/** The options that name a source and its catalog, plus the table naming ones (`naming: false` leaves those out). */
export function withSourceOptions(command: Command, naming = true): Command {
  return (naming ? withNamingOptions(command) : command)
    .option('-s, --source <file>', `source file (default ${DEFAULT_SOURCE} when present)`)
    .option('--db <file>', 'DuckDB catalog file', DEFAULT_DB)
    .option(
      '-c, --config <file>',
      "tap config file merged over the source's (repeatable; ENV reads variables)",
      collect,
      [],
    )
    .option('--sandbox', 'sync from the built-in API simulator (no account needed)')
    .option('--contacts <n>', 'contacts in the --sandbox world', '300');
}
