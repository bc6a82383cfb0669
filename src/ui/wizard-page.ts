/**
 * The five steps of a new source (or of an edit) in one form: access, streams, tables, the source, the check.
 * The script (static/app.js) shows one step at a time, each a history entry, and posts the whole source.
 */
import { html } from 'hono/html';
import type { RawConfig } from '../config.js';
import { SETTINGS } from '../config.js';
import { machineTimeZone } from '../pipeline/source.js';
import type { StreamDefinition } from '../streams/define.js';
import { header, layout, scrollBox, type Html } from './layout.js';

/** A stream's description in people's words, its API path apart (a detail, not the headline). */
function forPeople(description: string): { words: string; api?: string } {
  const api = /\((GET [^),]+)(?:, ([^)]+))?\)/.exec(description);
  if (!api) return { words: description };
  const words = description
    .replace(api[0], api[2] ? `(${api[2].toLowerCase()})` : '')
    .replace(/\s+([.,;])/g, '$1');
  return { words: words.trim(), api: api[1]! };
}

export interface StreamChoice {
  stream: StreamDefinition;
  group: string;
  notes: string[];
}

/** The five steps in one form; the script shows one step at a time and posts the whole source at the end. */
export function wizardPage(o: {
  streams: StreamChoice[];
  layers: string[];
  existing?: RawConfig | undefined;
  sandbox: boolean;
}): Html {
  const e = o.existing ?? {};
  const config = (e['config'] ?? {}) as RawConfig;
  const secrets = (e['secrets'] ?? {}) as Record<string, boolean>;
  const streams = (e['streams'] ?? {}) as Record<
    string,
    { selected?: boolean; table?: string; sync?: string }
  >;
  const groups = [...new Set(o.streams.map((s) => s.group))];
  const editing = e['name'] !== undefined;
  const step = (n: number, title: string, content: Html): Html =>
    html`<fieldset class="step" data-step="${n}" ${n === 1 ? '' : 'hidden'}>
      <legend>Step ${n} of 5 · ${title}</legend>
      ${content}
    </fieldset>`;
  const secretHint = (key: string) =>
    secrets[key] ? html`<span class="set">set</span> (leave empty to keep it)` : '';
  return layout(
    editing ? `Edit ${String(e['name'])}` : 'Add source',
    html`<h1>${editing ? `Edit ${String(e['name'])}` : 'Add source'}</h1>
      <ol class="steps" aria-label="steps">
        ${['Access', 'Streams', 'Tables', 'Source', 'Check'].map(
          (name, i) =>
            html`<li data-goto="${i + 1}"><button type="button" class="step-pill">${name}</button></li>`,
        )}
      </ol>
      <form id="wizard" data-editing="${editing ? String(e['name']) : ''}" autocomplete="off" novalidate>
        ${step(
          1,
          'Account access',
          html`<label
              >Access token (JWT, from Apps e Integrações › API) ${secretHint('access_token')}
              <input type="password" name="access_token" autocomplete="off" spellcheck="false" />
            </label>
            ${
              o.sandbox
                ? html`<label class="inline"
                    ><input type="checkbox" name="use_sandbox" ${e['sandbox'] === true ? 'checked' : ''} />
                    run it on the sandbox (its address, token and key are filled in at each run, never
                    saved)</label
                  >`
                : ''
            }
            <label
              >Start date (first day of history: YYYY-MM-DD, DD/MM/YYYY or an ISO date-time)
              <input
                name="start_date"
                value="${String(config['start_date'] ?? '')}"
                data-check="start_date"
              />
              <span class="check" data-check-for="start_date"></span>
            </label>
            <label
              >Private key (the JWK from "Gerar Chave"; needed to read messages)
              ${secretHint('private_key_jwk')}
              <textarea name="private_key_jwk" rows="4" spellcheck="false"></textarea>
            </label>
            <button type="button" data-action="test">Test connection</button>
            <pre class="answer" data-answer="test"></pre>`,
        )}
        ${step(
          2,
          'Streams',
          html`<input type="search" placeholder="search streams" data-search="streams" />
            ${groups.map(
              (g) =>
                html`<section class="group">
                  <h3>${g}</h3>
                  ${o.streams
                    .filter((s) => s.group === g)
                    .map(
                      ({ stream, notes }) =>
                        html`<label class="stream" data-stream="${stream.name}">
                          <input
                            type="checkbox"
                            name="stream"
                            value="${stream.name}"
                            ${(streams[stream.name]?.selected ?? !stream.needs?.length) ? 'checked' : ''}
                          />
                          <strong>${stream.name}</strong>
                          <span class="muted">${forPeople(stream.description).words}</span>
                          ${notes.map((n) => html`<div class="note">${n}</div>`)}
                          ${
                            forPeople(stream.description).api
                              ? html`<div class="api muted">
                                  API: <code>${forPeople(stream.description).api}</code>
                                </div>`
                              : ''
                          }
                        </label>`,
                    )}
                </section>`,
            )}
            <button type="button" data-action="estimate">Estimate requests and time</button>
            <pre class="answer" data-answer="estimate"></pre>`,
        )}
        ${step(
          3,
          'Tables',
          html`<label
              >Layer
              <select name="layer">
                ${[...new Set(['raw', ...o.layers])].map(
                  (l) => html`<option ${l === (e['layer'] ?? 'raw') ? 'selected' : ''}>${l}</option>`,
                )}
                <option value="__new">a new layer…</option>
              </select>
              <input name="new_layer" placeholder="new layer name" hidden />
            </label>
            <label>Folder <input name="folder" value="${String(e['folder'] ?? '')}" /></label>
            <label
              >Prefix for every table <input name="table_prefix" value="${String(e['table_prefix'] ?? '')}"
            /></label>
            ${scrollBox(
              'tables and sync types',
              html`<table class="tables">
                ${header('Stream', 'Table', 'Sync type')}
                <tbody>
                  ${o.streams.map(
                    ({ stream }) =>
                      html`<tr data-table-for="${stream.name}">
                        <td>${stream.name}</td>
                        <td>
                          <span class="prefix"></span
                          ><input
                            name="table:${stream.name}"
                            aria-label="table name for ${stream.name}"
                            value="${streams[stream.name]?.table ?? stream.name}"
                          />
                        </td>
                        <td>
                          ${
                            stream.incremental
                              ? html`<select
                                  name="sync:${stream.name}"
                                  aria-label="sync type of ${stream.name}"
                                >
                                  <option value="full_table">full table</option>
                                  <option
                                    value="incremental"
                                    ${streams[stream.name]?.sync === 'incremental' ? 'selected' : ''}
                                  >
                                    incremental
                                  </option>
                                </select>`
                              : html`<span class="muted" title="${stream.fullTableOnly ?? ''}"
                                  >full table</span
                                >`
                          }
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>`,
            )}
            <label
              >Layer of the conversation metrics (views of attendances, days and contacts, made after each
              sync of messages and reports; empty: none)
              <input
                name="models_layer"
                value="${e['models_layer'] === false ? '' : String(e['models_layer'] ?? 'service')}"
              />
            </label>`,
        )}
        ${step(
          4,
          'Source',
          html`<label
              >Name (lowercase letters, digits, _)
              <input name="name" value="${String(e['name'] ?? '')}" required ${editing ? 'readonly' : ''} />
            </label>
            ${
              editing
                ? html`<p class="muted" data-note="name">
                    A source's name is fixed once it is made: its tables, state and runs are kept under it.
                  </p>`
                : ''
            }
            <label
              >Description <span class="counter" data-counter="description">0/140</span>
              <input name="description" value="${String(e['description'] ?? '')}" />
            </label>
            <label
              >Trigger
              <select name="trigger">
                <option value="manual">manual only</option>
                <option value="daily">daily</option>
                <option value="weekly">weekly</option>
                <option value="times">specific times</option>
                <option value="cron">custom cron</option>
              </select>
            </label>
            <div class="trigger-detail">
              <label data-for="daily weekly" hidden
                >At (14:30, 8h, noon…)
                <input name="time" value="03:00" />
              </label>
              <select name="weekday" data-for="weekly" hidden>
                ${['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'].map(
                  (d, i) => html`<option value="${i}">${d}</option>`,
                )}
              </select>
              <label data-for="times" hidden
                >Times (sharing their minutes)
                <input name="times" placeholder="08:00, 12:00, 18:00" />
              </label>
              <input
                name="cron"
                placeholder="0 3 * * *"
                value="${String(e['schedule'] ?? '')}"
                data-for="cron"
                hidden
              />
            </div>
            <label
              >Time zone (its triggers run in it)
              <input
                name="timezone"
                list="timezones"
                value="${String(e['timezone'] ?? machineTimeZone())}"
                autocomplete="off"
              />
            </label>
            <datalist id="timezones">
              ${Intl.supportedValuesOf('timeZone').map((z) => html`<option value="${z}"></option>`)}
            </datalist>
            <p class="words" data-words="schedule"></p>
            <label
              >Delta-log retention (days old versions stay queryable)
              <input
                name="retention_days"
                type="number"
                min="0"
                value="${String(e['retention_days'] ?? 7)}"
              />
            </label>
            <label
              >Additional full sync of incremental streams every (days; 0 = never by age)
              <input
                name="full_sync_every_days"
                type="number"
                min="0"
                value="${String(config['full_sync_every_days'] ?? SETTINGS.full_sync_every_days.default)}"
              />
            </label>
            <label
              >…and also on a schedule (cron, optional)
              <input
                name="full_sync_schedule"
                placeholder="0 2 * * 0"
                value="${String(e['full_sync_schedule'] ?? '')}"
              />
            </label>
            <p class="words" data-words="full_sync_schedule"></p>`,
        )}
        ${step(
          5,
          'Check',
          html`<p>Check your source before saving it: it then appears on the Sources page.</p>
            <pre class="summary-lines" data-summary aria-live="polite"></pre>
            <ul class="checks">
              <li data-check="test">Connection test: not run (step 1)</li>
              <li data-check="estimate">Estimate: not made (step 2)</li>
            </ul>
            <pre class="answer" data-answer="save"></pre>
            <button type="submit">Save</button>
            <button type="button" data-action="save-run">Save and run now</button>`,
        )}
        <div class="nav">
          <button type="button" data-action="back">Back</button>
          <button type="button" data-action="next">Next</button>
        </div>
      </form>`,
    'new',
  );
}
