/**
 * Who may talk to the web app: only this machine's browser, holding this launch's token. The token comes once
 * in the printed URL and then lives in an HttpOnly, SameSite=Strict cookie. A request for another `Host` (DNS
 * rebinding) or from another `Origin` (a cross-site form or fetch) is refused before any route runs, and pages
 * may load nothing but their own scripts and styles.
 */
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

/**
 * The launch cookie's name carries the port: browsers send a cookie of 127.0.0.1 to every port of it, so two
 * apps side by side (two directories) would otherwise overwrite each other's and log each other out.
 */
export const cookieOf = (port: number): string => `conversas_ui_${port}`;

const same = (a: string | undefined, b: string): boolean => {
  if (a === undefined || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
};

export function guard(token: string, port: () => number): MiddlewareHandler {
  return async (c, next) => {
    const hosts = [`127.0.0.1:${port()}`, `localhost:${port()}`, `[::1]:${port()}`];
    const host = c.req.header('host') ?? '';
    if (!hosts.includes(host))
      return c.text('refused: this app answers on 127.0.0.1 only (unknown Host)', 403);
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== `http://${host}`)
      return c.text('refused: a request from another site', 403);
    // Another port of this machine is the same site, not the same origin: only the app's own pages, or a URL
    // typed or opened from the terminal, may ask.
    const site = c.req.header('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      return c.text('refused: a request from another site', 403);
    const offered = c.req.query('token');
    if (offered !== undefined) {
      if (!same(offered, token)) return c.text('refused: wrong launch token', 403);
      setCookie(c, cookieOf(port()), token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    if (!same(getCookie(c, cookieOf(port())), token))
      return c.text("refused: open the URL `conversas ui` printed (it carries this launch's token)", 403);
    await next();
    c.header('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
  };
}
