/**
 * A directory of sources (the web app's, and `conversas schedule --dir`'s): one file each under
 * `<dir>/sources/<name>.json` (the same source files `conversas sync --source` reads), written with mode 0600
 * because they hold the token and the key (their runs are kept apart: runs/records.ts). What the browser gets of a source never holds a secret: only whether each one is set.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS, validateConfig, type RawConfig, type SettingName } from '../config.js';
import { ConfigError } from '../errors.js';
import { parseSource, selectedStreams, type Source } from './source.js';

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
    return JSON.parse(readFileSync(this.fileOf(name), 'utf8')) as RawConfig;
  }

  read(name: string): Source {
    return parseSource(this.raw(name), this.dir, name);
  }

  /**
   * Checks a source as `conversas sync` would, then writes it (mode 0600). Secrets left empty keep the values
   * already saved, so an edit never needs them again.
   */
  save(raw: RawConfig, replacing?: string): Source {
    const name = String(raw['name'] ?? '');
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
    selectedStreams(source, validateConfig(source.config));
    if (replacing !== name && existsSync(this.fileOf(name)))
      throw new ConfigError(`a source named "${name}" exists already`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(name);
    writeFileSync(file, JSON.stringify(complete, null, 2) + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    if (replacing && replacing !== name) this.remove(replacing);
    return source;
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
