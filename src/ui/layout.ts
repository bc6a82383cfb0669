/**
 * What every page of the app shares, rendered on the server (every value escaped by `html`): the frame with its
 * navigation, a page for what went wrong, a data table's scrolling box and header row, a trigger in words. The
 * browser gets plain HTML and one script (static/app.js) for what must react as a person acts.
 */
import cronstrue from 'cronstrue';
import { html, raw } from 'hono/html';
import { machineTimeZone } from '../pipeline/source.js';

export type Html = ReturnType<typeof html>;

/**
 * A data table too wide for a phone scrolls inside this box, never the page; the box takes keyboard focus so it
 * can be scrolled without a mouse, and is named for screen readers.
 */
export const scrollBox = (label: string, content: Html): Html =>
  html`<div class="scroll" tabindex="0" role="region" aria-label="${label}">${content}</div>`;

/** A table's header row. */
export const header = (...names: string[]): Html =>
  html`<thead>
    <tr>
      ${names.map((n) => html`<th>${n}</th>`)}
    </tr>
  </thead>`;

export function layout(title: string, body: Html, active: 'sources' | 'catalog' | 'new' = 'sources'): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · conversas</title>
        <link rel="stylesheet" href="/static/style.css" />
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <script type="module" src="/static/app.js"></script>
      </head>
      <body>
        <header>
          <strong>conversas</strong>
          <nav>
            <a href="/" class="${active === 'sources' ? 'active' : ''}">Sources</a>
            <a href="/new" class="${active === 'new' ? 'active' : ''}">Add source</a>
            <a href="/catalog" class="${active === 'catalog' ? 'active' : ''}">Catalog</a>
          </nav>
        </header>
        <main>${body}</main>
      </body>
    </html>`;
}

/** A page for what went wrong: its status in words, and what to do; never a file path or a stack. */
export function errorPage(title: string, message: string): Html {
  return layout(
    title,
    html`<h1>${title}</h1>
      <p class="error" data-error>${message}</p>
      <p><a href="/">Back to the sources</a> · <a href="/catalog">the catalog</a></p>`,
  );
}

/** A cron expression in words ("At 03:00 AM"), or why it is not one. */
/** A trigger in words, with the time zone it runs in: "At 03:00, America/Sao_Paulo". */
export function inWords(expression: string | undefined, timezone = machineTimeZone()): string {
  if (!expression) return 'manual only';
  try {
    return `${cronstrue.toString(expression, { use24HourTimeFormat: true, verbose: false })}, ${timezone}`;
  } catch {
    return expression;
  }
}

export const bigints = (_: string, v: unknown): unknown => (typeof v === 'bigint' ? String(v) : v);
export { raw };
