/**
 * The one filter every outgoing message passes (log lines, CLI output and errors, HTTP
 * error answers, /health): URL userinfo and every known secret become `***`. Secrets are
 * known by the variables that carry them and by the values resolved from flags, so a
 * password is hidden however it got into a message (git's stderr, a URL in an error).
 */

/** Variables whose values are secrets wherever they appear. */
export const SECRET_VARIABLES = [
  'ACCESS_TOKEN',
  'READ_ACCESS_TOKEN',
  'WRITE_ACCESS_TOKEN',
  'GIT_PASSWORD',
  'GITHUB_CLIENT_SECRET',
  'S3_SECRET_KEY',
] as const;

const MASK = '***';
/** Secrets this short also occur inside ordinary words; they are masked only standing alone. */
const SHORT_SECRET = 8;
const secrets = new Set<string>();
const shortSecrets = new Map<string, RegExp>();
let fromEnvironment = false;

/** Adds a value to hide from now on (a token or key given by flag rather than variable). */
export function addSecret(value: string | undefined): void {
  if (value === undefined || value.trim() === '') return;
  // the same value inside JSON text (a quote or backslash in it is escaped there) and in a URL
  for (const form of new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)])) {
    if (form.length >= SHORT_SECRET) secrets.add(form);
    else if (!shortSecrets.has(form)) shortSecrets.set(form, standingAlone(form));
  }
}

function standingAlone(secret: string): RegExp {
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w.~+/=-])${escaped}(?![\\w.~+/=-])`, 'g');
}

function loadEnvironment(): void {
  fromEnvironment = true;
  for (const name of SECRET_VARIABLES) addSecret(process.env[name]);
}

/**
 * `scheme://user:password@host` loses its userinfo. An ssh URL's bare user name
 * (`ssh://git@host`) is no secret and stays, so the remote is still recognisable.
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@'"<>]+)@/gi;

export function redact(text: string): string {
  if (!fromEnvironment) loadEnvironment();
  let out = text;
  if (out.includes('://')) {
    out = out.replace(USERINFO, (whole, scheme: string, userinfo: string) =>
      /^(ssh|git\+ssh|ssh\+git):\/\/$/i.test(scheme) && !userinfo.includes(':') ? whole : `${scheme}${MASK}@`,
    );
  }
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  for (const [secret, pattern] of shortSecrets) {
    if (out.includes(secret)) out = out.replace(pattern, MASK);
  }
  return out;
}
