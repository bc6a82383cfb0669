/** The Sources page: each source with its trigger in words, its last run, run now and stop, edit, delete. */
import { html } from 'hono/html';
import type { RunRecord } from '../runs/records.js';
import { header, inWords, layout, type Html } from './layout.js';
import { runLine } from './runs.js';
import { inAppWords } from './words.js';

export interface SourceRow {
  name: string;
  description: string;
  schedule?: string | undefined;
  timezone?: string | undefined;
  paused: boolean;
  last?: RunRecord | undefined;
  running: boolean;
}

export function sourcesPage(rows: SourceRow[], created?: string): Html {
  const body = rows.length
    ? html`<table class="sources">
        ${header('Source', 'Trigger', 'Last run', '')}
        <tbody>
          ${rows.map(
            (s) =>
              html`<tr data-source="${s.name}" class="${s.name === created ? 'created' : ''}">
                  <td>
                    <strong>${s.name}</strong>
                    <div class="muted">${s.description}</div>
                  </td>
                  <td>
                    ${inWords(s.schedule, s.timezone)}${s.schedule && s.paused ? html` <em>(paused)</em>` : ''}
                    ${
                      s.schedule
                        ? html`<button class="link" data-action="toggle" data-name="${s.name}">
                            ${s.paused ? 'enable schedule' : 'disable schedule'}
                          </button>`
                        : ''
                    }
                  </td>
                  <td class="last">
                    ${
                      s.last
                        ? html`<span class="last-line">${runLine(s.last)}</span>
                            <div class="muted">${inAppWords(s.last.error ?? s.last.note ?? '')}</div>
                            <a href="/runs/${s.name}">history</a>`
                        : html`<span class="muted">never run: ready to run</span>`
                    }
                  </td>
                  <td class="actions">
                    <button
                      class="run"
                      data-action="run"
                      data-name="${s.name}"
                      title="Run now"
                      aria-label="Run ${s.name} now"
                      ${s.running ? 'disabled' : ''}
                    >
                      ▶
                    </button>
                    <button
                      class="stop"
                      data-action="stop"
                      data-name="${s.name}"
                      aria-label="Stop the run of ${s.name}"
                      ${s.running ? '' : 'hidden'}
                    >
                      Stop
                    </button>
                    <a href="/edit/${s.name}">edit</a>
                    <button class="link" data-action="delete" data-name="${s.name}">delete</button>
                  </td>
                </tr>
                <tr
                  class="progress-row"
                  data-progress-for="${s.name}"
                  ${s.running ? 'data-running' : 'hidden'}
                >
                  <td colspan="4">
                    <div class="progress"></div>
                    <pre class="summary"></pre>
                  </td>
                </tr>`,
          )}
        </tbody>
      </table>`
    : html`<p>No source yet. <a href="/new">Add one</a>: five steps, a few minutes.</p>`;
  return layout(
    'Sources',
    html`<h1>Sources</h1>
      ${created ? html`<p class="notice">Source <strong>${created}</strong> is saved and ready to run: press ▶.</p>` : ''}
      ${body}`,
  );
}
