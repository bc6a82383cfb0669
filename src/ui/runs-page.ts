/** A source's run history: each run's line, what went wrong, its picture (the newest shown open) and its log. */
import { html } from 'hono/html';
import type { RunRecord } from '../runs/records.js';
import { runTimeline } from './charts.js';
import { layout } from './layout.js';
import { runLine } from './runs.js';
import { inAppWords } from './words.js';

/** A source's runs, newest first, each with its log. */
export function runsPage(
  source: string,
  runs: RunRecord[],
  logOf: (run: RunRecord) => string,
): ReturnType<typeof html> {
  return layout(
    `Runs of ${source}`,
    html`<h1>Runs of ${source}</h1>
      ${runs.length === 0 ? html`<p class="muted">No run yet.</p>` : ''}
      <ol class="runs">
        ${runs.map(
          (run, i) =>
            html`<li data-run="${run.id}" data-status="${run.status}">
              <span class="run-line">${runLine(run)}</span>
              ${run.error ? html`<div class="muted">${inAppWords(run.error)}</div>` : ''}
              ${run.note ? html`<div class="muted">${run.note}</div>` : ''}
              ${
                (run.timeline?.length ?? 0) > 1
                  ? html`<details ${i === 0 ? 'open' : ''}>
                      <summary>how it went</summary>
                      ${runTimeline(run)}
                    </details>`
                  : ''
              }
              <details>
                <summary>log</summary>
                <pre class="log">${logOf(run)}</pre>
              </details>
            </li>`,
        )}
      </ol>`,
  );
}
