/**
 * Read auth for pages. A browser cannot send an Authorization header from a plain link, so
 * the login form keeps the token in a cookie: HttpOnly (no script can read it, and pages
 * have no script anyway), SameSite=Strict (other sites cannot make the browser send it),
 * Secure when the request came over HTTPS. The token is checked by the same authenticator
 * as the API's header, on every request, so revoking a token locks out pages at once.
 * The cookie only ever opens pages: the JSON API still needs the header.
 */
import type { IncomingMessage } from 'node:http';
import type { AccessControl } from '../access-control.js';

export const TOKEN_COOKIE = 'pesde_registry_token';
/** a week: long enough not to nag, short enough that a forgotten browser does not keep access */
const COOKIE_MAX_AGE_SECONDS = 7 * 24 * 60 * 60;
/** longer than any real token (GitHub's are well under 300 characters) */
export const MAX_TOKEN_LENGTH = 4096;

export type PageAuth =
  /** `user`: who the token is, to show as signed in */
  | { ok: true; signedIn: boolean; user?: string }
  | { ok: false; reason: 'missing' | 'invalid' };

/** Whether this request may see pages; `signedIn` when it came with the login cookie. */
export async function authenticatePage(auth: AccessControl, req: IncomingMessage): Promise<PageAuth> {
  const cookieToken = readCookie(req, TOKEN_COOKIE);
  const signedIn = cookieToken !== null && cookieToken !== '';
  if (!auth.readNeedsAuth) return { ok: true, signedIn };
  const header = req.headers.authorization ?? (signedIn ? bearer(cookieToken) : undefined);
  if (header === undefined) return { ok: false, reason: 'missing' };
  const outcome = await auth.check('read', header);
  return outcome.ok ? { ok: true, signedIn, user: outcome.identity.userName } : { ok: false, reason: 'invalid' };
}

/** Whether a token from the login form opens this registry for reading. */
export async function tokenOpensReads(auth: AccessControl, token: string): Promise<boolean> {
  if (token === '' || token.length > MAX_TOKEN_LENGTH) return false;
  return (await auth.check('read', bearer(token))).ok;
}

/** The header form, so a token that itself begins with "Bearer " is not cut short. */
function bearer(token: string): string {
  return `Bearer ${token}`;
}

export function isSecureRequest(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return true;
  // behind a TLS-terminating proxy; trusting it can only add the Secure flag, never remove it
  const forwarded = req.headers['x-forwarded-proto'];
  return typeof forwarded === 'string' && forwarded.split(',')[0]?.trim().toLowerCase() === 'https';
}

export function tokenCookie(token: string, secure: boolean): string {
  return serialize(encodeURIComponent(token), COOKIE_MAX_AGE_SECONDS, secure);
}

export function clearedTokenCookie(secure: boolean): string {
  return serialize('', 0, secure);
}

function serialize(value: string, maxAge: number, secure: boolean): string {
  return `${TOKEN_COOKIE}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The first cookie of that name, decoded; null when absent or not valid percent-encoding. */
export function readCookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (header === undefined) return null;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (value.length > MAX_TOKEN_LENGTH * 3) return null;
    try {
      return decodeURIComponent(value);
    } catch {
      return null;
    }
  }
  return null;
}
