/**
 * Sending pages with the headers every page carries: a CSP that allows only the page's own
 * inline style and script, by hash (README markup is sanitised, and this is the second
 * wall), nosniff, no framing, and no
 * CORS: pages may carry a login cookie, so no other origin may read them, whatever the
 * API's permissive CORS added before routing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CachedBody } from '../cached-body.js';
import { addVary, sendBody } from '../respond.js';

/** for answers without a document (redirects) */
const NOTHING_ALLOWED = "default-src 'none'; form-action 'self'; frame-ancestors 'none'";

const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-expose-headers',
];

export interface PageAnswerOptions {
  /** the page is behind read auth: no shared cache may keep it */
  private: boolean;
  headers?: Record<string, string>;
  /** the page's policy (page-assets.ts) */
  csp?: string;
}

function setPageHeaders(res: ServerResponse, opts: PageAnswerOptions): void {
  for (const header of CORS_HEADERS) res.removeHeader(header);
  res.setHeader('content-security-policy', opts.csp ?? NOTHING_ALLOWED);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  // links in READMEs lead to other sites: they need not learn which private package was read
  res.setHeader('referrer-policy', 'same-origin');
  res.setHeader('cache-control', opts.private ? 'private, no-store' : 'no-cache');
  // the same URL answers JSON or text to API clients, and pages depend on the login cookie
  addVary(res, 'accept, cookie');
  for (const [name, value] of Object.entries(opts.headers ?? {})) res.setHeader(name, value);
}

export function sendPage(req: IncomingMessage, res: ServerResponse, status: number, document: CachedBody, opts: PageAnswerOptions): void {
  setPageHeaders(res, opts);
  sendBody(req, res, status, 'text/html; charset=utf-8', document);
}

/** 303: after a form POST the browser follows with a GET, so a reload does not re-post. */
export function sendSeeOther(res: ServerResponse, location: string, opts: PageAnswerOptions): void {
  setPageHeaders(res, opts);
  res.statusCode = 303;
  res.setHeader('location', location);
  res.setHeader('content-length', 0);
  res.end();
}
