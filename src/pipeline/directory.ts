/**
 * A directory of sources (the web app's, and `conversas schedule --dir`'s): one file each under
 * `<dir>/sources/<name>.json` (the same source files `conversas sync --source` reads), written with mode 0600
 * because they hold the token and the key (their runs are kept apart: runs/records.ts). What the browser gets of a source never holds a secret: only whether each one is set.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS, validateConfig, type RawConfig, type SettingName } from '../config.js';
import { ConfigError } from '../errors.js';
import { SANDBOX_SOURCE } from '../catalog/switch.js';
import { modelsFor, parseSource, selectedStreams, tableFor, type Source } from './source.js';

const SECRETS = (Object.keys(SETTINGS) as SettingName[]).filter((k) => SETTINGS[k].secret === true);
const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class SourceDirectory {
  readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, 'sources');
  }

  fileOf(name: string): string {
    if (!NAME.test(name)) throw new ConfigError(`"${name}" is not a source name`);
    return join(this.dir, `${name}.json`);
  }

  names(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json') && !f.endsWith('.runs.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .filter((n) => NAME.test(n))
      .sort();
  }

  raw(name: string): RawConfig {
    const file = this.fileOf(name);
    if (!existsSync(file))
      throw new ConfigError(
        `no source named "${name}" in ${this.dir} (the sources there: ${this.names().join(', ') || 'none'})`,
      );
    return JSON.parse(readFileSync(file, 'utf8')) as RawConfig;
  }

  read(name: string): Source {
    return parseSource(this.raw(name), this.dir, name);
  }

  /**
   * Checks a source as `conversas sync` would, then writes it (mode 0600). Secrets left empty keep the values
   * already saved, so an edit never needs them again. Refused besides: the demo's name, a new name for a source
   * (its tables, state and runs are kept under its name), and a table another source of the directory writes,
   * or that `owners` (the catalog's tables, `layer.name` → source) says another source holds. A source made to
   * try the sandbox (`"sandbox": true`) keeps no URL, token or key: they are the running sandbox's (`sandbox`),
   * given at run time (runs/service.ts).
   */
  save(
    raw: RawConfig,
    replacing?: string,
    o: { owners?: ReadonlyMap<string, string | null>; sandbox?: RawConfig } = {},
  ): Source {
    const owners = o.owners;
    const name = String(raw['name'] ?? '');
    if (name === SANDBOX_SOURCE)
      throw new ConfigError(
        `"${SANDBOX_SOURCE}" is the demo's name (conversas sync --sandbox): choose another`,
      );
    if (replacing !== undefined && replacing !== name)
      throw new ConfigError(
        `a source's name is fixed once it is made ("${replacing}"): its tables, state and runs are kept under it; make a new source for another name`,
      );
    const previous = replacing && existsSync(this.fileOf(replacing)) ? this.raw(replacing) : undefined;
    const config = { ...((raw['config'] as RawConfig | undefined) ?? {}) };
    const before = (previous?.['config'] ?? {}) as RawConfig;
    for (const key of SECRETS)
      if ((config[key] === undefined || config[key] === '') && before[key] !== undefined)
        config[key] = before[key];
    const complete = { ...raw, config };
    const source = parseSource(complete, this.dir);
    if (source.name !== name) throw new ConfigError('the source needs a name');
    // What `conversas sync` would refuse is refused before anything is written.
    const tables = this.tablesOf(source, complete, o.sandbox);
    if (replacing !== name && existsSync(this.fileOf(name)))
      throw new ConfigError(`a source named "${name}" exists already`);
    for (const other of this.names()) {
      if (other === name) continue;
      let theirs: string[];
      try {
        theirs = this.tablesOf(this.read(other), this.raw(other), o.sandbox);
      } catch {
        continue; // a source that cannot run writes nothing
      }
      const shared = tables.find((t) => theirs.includes(t));
      if (shared)
        throw new ConfigError(
          `${shared} is written by source "${other}" already: choose another layer, folder or table prefix (or metrics layer)`,
        );
    }
    for (const table of tables) {
      const owner = owners?.get(table);
      if (owner && owner !== name && owner !== SANDBOX_SOURCE)
        throw new ConfigError(
          `${table} holds the data of source "${owner}" in the catalog: choose another layer, folder or table prefix (or metrics layer)`,
        );
    }
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(name);
    writeFileSync(file, JSON.stringify(complete, null, 2) + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    return source;
  }

  /** The tables (`layer.name`) a source's sync writes; throws what `conversas sync` would refuse. */
  private tablesOf(source: Source, raw: RawConfig, sandbox: RawConfig | undefined): string[] {
    let config = source.config;
    if (raw['sandbox'] === true) {
      if (!sandbox)
        throw new ConfigError(
          `"${source.name}" runs on the sandbox: it can be checked and run only while one runs (conversas serve --sandbox)`,
        );
      config = { ...config, ...sandbox };
    }
    const selected = selectedStreams(source, validateConfig(config));
    return [...selected.map((stream) => tableFor(source, stream)), ...modelsFor(source, selected)].map(
      (t) => `${t.layer}.${t.name}`,
    );
  }

  remove(name: string): void {
    rmSync(this.fileOf(name), { force: true });
  }

  /** The source as the browser may see it: secrets replaced by whether they are set. */
  view(name: string): RawConfig {
    const raw = this.raw(name);
    const config = { ...((raw['config'] as RawConfig | undefined) ?? {}) };
    const secrets: Record<string, boolean> = {};
    for (const key of SECRETS) {
      secrets[key] = config[key] !== undefined && config[key] !== '';
      delete config[key];
    }
    return { ...raw, config, secrets };
  }
}
