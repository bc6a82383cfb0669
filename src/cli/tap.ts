#!/usr/bin/env node
/** tap-rdstation-conversas: the Singer tap. stdout carries Singer messages only; logs go to stderr. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { readConfigSources, readJsonFile, validateConfig } from '../config.js';
import { ConfigError, InterruptedError } from '../errors.js';
import { createLogger } from '../log.js';
import { discover, parseCatalog, resolveCatalog } from '../singer/catalog.js';
import { JsonLinesSink } from '../singer/messages.js';
import { parseState } from '../singer/state.js';
import { isRunnable, missingSettings, streamByName, STREAMS } from '../streams/index.js';
import { VERSION } from '../version.js';
import { about, aboutMarkdown, aboutText } from '../tap/about.js';
import { checkConnection } from '../tap/check.js';
import { sampleSchemas } from '../tap/sample.js';
import { abortOnSignals, guardStdout, reportFailure } from './process.js';
import { runSync } from '../tap/sync.js';

const PROGRAM = 'tap-rdstation-conversas';

interface TapOptions {
  config: string[];
  discover?: boolean;
  catalog?: string;
  state?: string;
  about?: boolean;
  format: 'json' | 'markdown';
  test?: boolean;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command(PROGRAM)
    .description(
      'Singer tap for RD Station Conversas: SCHEMA/RECORD/STATE messages on stdout, logs on stderr.',
    )
    .version(VERSION, '-V, --version')
    .option(
      '-c, --config <file>',
      'config JSON file; repeat to merge in order; the word ENV reads TAP_RDSTATION_CONVERSAS_* variables',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option('-d, --discover', 'print the catalog of streams and exit')
    .option(
      '--catalog <file>',
      'catalog with the selected streams (default: every stream whose needed settings are set)',
    )
    .option(
      '--state <file>',
      'STATE from an earlier run: resumes an interrupted one, continues incremental streams',
    )
    .option('--about', 'print what the tap is: capabilities, settings, streams')
    .addOption(
      new Option('--format <format>', 'format of --about: text, json or markdown (any case)')
        .argParser((value: string) => {
          const format = value.toLowerCase();
          if (!['text', 'json', 'markdown'].includes(format))
            throw new InvalidArgumentError('use text, json or markdown');
          return format;
        })
        .default('text'),
    )
    .option('--test', 'check the token (and the private key, when set) with as few requests as possible')
    .addHelpText(
      'after',
      `
Examples:
  ${PROGRAM} --config config.json --discover > catalog.json
  ${PROGRAM} --config config.json --catalog catalog.json --state state.json | target-postgres
  TAP_RDSTATION_CONVERSAS_ACCESS_TOKEN=... ${PROGRAM} --config ENV --test

Exit codes: 0 success, 1 API or runtime failure, 2 bad configuration, 130 interrupted.`,
    )
    .showHelpAfterError();
  program.parse(argv);
  const opts = program.opts<TapOptions>();
  const log = createLogger();

  if (opts.about) {
    process.stdout.write(
      opts.format === 'markdown'
        ? aboutMarkdown()
        : opts.format === 'json'
          ? JSON.stringify(about(), null, 2) + '\n'
          : aboutText(),
    );
    return 0;
  }
  if (opts.config.length === 0)
    throw new ConfigError('no --config given (a JSON file, or ENV for environment variables); see --help');
  const config = validateConfig(readConfigSources(opts.config));

  if (opts.discover) {
    const sampled = config.discover_sample ? await sampleSchemas(STREAMS, config, log) : undefined;
    process.stdout.write(JSON.stringify(discover(STREAMS, config, sampled), null, 2) + '\n');
    return 0;
  }
  if (opts.test) {
    await checkConnection(config, log);
    log.info('connection test passed');
    return 0;
  }
  const fromCatalog = opts.catalog
    ? resolveCatalog(parseCatalog(readJsonFile(opts.catalog, 'catalog')), (name) => streamByName(name), log)
    : undefined;
  const selected = fromCatalog?.names ?? STREAMS.filter((s) => isRunnable(s, config)).map((s) => s.name);
  if (selected.length === 0) log.warn('no stream is selected in the catalog; nothing to do');
  if (!opts.catalog)
    for (const s of STREAMS)
      if (!isRunnable(s, config))
        log.info(`${s.name} is not selected: set ${missingSettings(s, config).join(', ')} to sync it`);
  const state = opts.state ? parseState(readJsonFile(opts.state, 'state')) : undefined;

  const controller = new AbortController();
  const release = abortOnSignals(controller, (signal) => new InterruptedError(signal));
  const sink = new JsonLinesSink(process.stdout, config.keep_nul);
  try {
    const summary = await runSync({
      config,
      selected,
      sink,
      log,
      signal: controller.signal,
      ...(fromCatalog ? { selections: fromCatalog.selections, methods: fromCatalog.methods } : {}),
      ...(state ? { state } : {}),
    });
    log.info(
      `done in ${summary.seconds.toFixed(1)} s: ${summary.requests} requests, ${summary.retries} retries, ${summary.throttles} rate-limited`,
    );
    for (const [reason, pages] of Object.entries(summary.encrypted))
      log.warn(`${pages} history page(s) kept encrypted: ${reason}`);
    return 0;
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason as Error;
    throw error;
  } finally {
    release();
  }
}

guardStdout(PROGRAM, (error) => ({
  code: 1,
  line:
    error.code === 'EPIPE'
      ? 'the reader of stdout went away (did the target exit?); stopping: the last STATE it read resumes the sync'
      : `cannot write to stdout (${error.code ?? error.message}); stopping: the last STATE written resumes the sync`,
}));

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportFailure(PROGRAM, error);
  },
);
