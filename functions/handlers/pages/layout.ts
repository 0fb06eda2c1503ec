import type { Workplaces } from '../../app/workplaces';
import type { Identity } from '../../domain/directory';
import type { HttpResult } from '../http/route';
import { type Html, html } from './html';

/** Who is looking, for the header: their name, the parts of the console they work in, the form token. */
export interface Viewer {
  caller: Identity;
  workplaces: Workplaces;
  csrf: string;
}

/** The same headers on every console page: nothing but the system's own files, no framing, no referrer. */
export const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

function navigation(viewer: Viewer, active: string): Html {
  const links: [string, string, boolean][] = [
    ['/', 'Home', true],
    ['/console/catalog', 'Request access', true],
    ['/console/requests', 'My requests', true],
    ['/console/approvals', 'Approvals', viewer.workplaces.approver],
    ['/console/fulfilments', 'Fulfilment', viewer.workplaces.fulfiller],
    ['/console/support', 'Support queue', viewer.workplaces.support],
    ['/console/dashboard', 'Dashboard', viewer.workplaces.dashboard],
    ['/console/audit', 'Audit', viewer.workplaces.audit],
    ['/console/admin', 'Admin', viewer.workplaces.admin],
  ];
  return html`<nav aria-label="Console">${links
    .filter(([, , shown]) => shown)
    .map(
      ([href, label]) =>
        html`<a href="${href}"${href === active ? html` aria-current="page"` : ''}>${label}</a>`,
    )}</nav>`;
}

export function consolePage(
  status: number,
  options: {
    title: string;
    viewer?: Viewer;
    active?: string;
    body: Html;
    headers?: Record<string, string>;
    /** Reload the page after so many seconds: a job's progress, with no script (the CSP allows none inline). */
    refreshSeconds?: number;
    /** The system's own scripts the page needs besides console.js, run in this order once it is parsed. */
    scripts?: readonly string[];
  },
): HttpResult {
  const { viewer } = options;
  const header = viewer
    ? html`<header><a class="brand" href="/">Tollgate</a>${navigation(viewer, options.active ?? '')}
<span>${viewer.caller.name}</span>
<form method="post" action="/signout"><input type="hidden" name="csrf" value="${viewer.csrf}"><button type="submit">Sign out</button></form></header>`
    : html`<header><a class="brand" href="/">Tollgate</a></header>`;
  return {
    statusCode: status,
    headers: { ...pageHeaders, ...options.headers },
    body: html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${String(options.refreshSeconds)}">` : ''}<title>${options.title} · Tollgate</title><link rel="stylesheet" href="/console/assets/console.css"><script src="/console/assets/console.js" defer></script>${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}</head><body>${header}<main><h1>${options.title}</h1>${options.body}</main></body></html>`
      .text,
  };
}

/** A form's hidden anti-forgery field. */
export const csrfField = (viewer: Viewer): Html =>
  html`<input type="hidden" name="csrf" value="${viewer.csrf}">`;

/** After a POST, the page to show next, so a reload does not post again. */
export const seeOther = (location: string, cookies?: string[]): HttpResult => ({
  statusCode: 303,
  headers: { location, 'cache-control': 'no-store' },
  ...(cookies ? { cookies } : {}),
});

/**
 * The line a page shows after an action redirected to it, chosen by its `notice` query parameter.
 * A Map, not an object: a name such as `constructor` from the address bar must show nothing.
 */
export function noticeBanner(notices: ReadonlyMap<string, string>, name: string | undefined): Html | '' {
  const notice = notices.get(name ?? '');
  return notice ? html`<div class="notice" role="status">${notice}</div>` : '';
}
