/** `pesde-registry token create|list|revoke`: per-user tokens in the registry's storage. */
import { usageError } from '../errors.js';
import { parseScopeName } from '../index-repo/scope-owners.js';
import type { Reporter } from '../output.js';
import type { StorageFlags } from '../storage/storage-options.js';
import { describeRecord, MAX_NOTE_LENGTH, userNameProblem } from '../tokens/token-record.js';
import { isTokenId } from '../tokens/token-secret.js';
import { openTokenStore } from './store-flags.js';

interface CreateFlags extends StorageFlags {
  user?: string;
  id?: string;
  scopes?: string;
  readOnly?: boolean;
  expires?: string;
  note?: string;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90d`, `12h`, `30m`, `never`, or a date (`2027-01-31`). */
export function parseExpires(value: string | undefined, now: number = Date.now()): string | null {
  if (value === undefined || value === 'never') return null;
  const relative = /^(\d+)([mhd])$/.exec(value.trim());
  if (relative !== null) {
    const ms = Number(relative[1]) * (UNIT_MS[relative[2] ?? 'd'] ?? 0);
    if (ms > 0 && ms <= 100 * 365 * UNIT_MS.d!) return new Date(now + ms).toISOString();
  } else if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value)) && Date.parse(value) > now) {
    return new Date(Date.parse(value)).toISOString();
  }
  throw usageError(`--expires: "${value}" is not a duration (90d, 12h, 30m), a future date (2027-01-31) or never`);
}

export function parseScopesFlag(value: string | undefined): string[] | 'all' {
  if (value === undefined || value.trim() === 'all') return 'all';
  const scopes = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (scopes.length === 0) throw usageError('--scopes: expected "all" or comma-separated scope names, e.g. acme,tools');
  return [...new Set(scopes.map((scope) => {
    try {
      return parseScopeName(scope);
    } catch (error) {
      throw usageError(`--scopes: ${(error as Error).message}`);
    }
  }))].sort();
}

function parseUserId(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n === 0) {
    throw usageError(`--id: "${value}" is not a user id (a whole number above 0; 0 is the shared tokens' publisher id)`);
  }
  return n;
}

export async function tokenCreateCommand(reporter: Reporter, flags: CreateFlags): Promise<void> {
  const user = (flags.user ?? '').trim().toLowerCase();
  if (user === '') throw usageError('token create needs --user <name>');
  const problem = userNameProblem(user);
  if (problem !== null) throw usageError(`--user: ${problem}`);
  const note = (flags.note ?? '').trim();
  if (note.length > MAX_NOTE_LENGTH || /[\u0000-\u001f\u007f]/.test(note)) throw usageError(`--note: at most ${MAX_NOTE_LENGTH} characters on one line`);
  const request = { user, userId: parseUserId(flags.id), scopes: parseScopesFlag(flags.scopes), readOnly: Boolean(flags.readOnly), expiresAt: parseExpires(flags.expires), note };
  const store = await openTokenStore(flags, 'token create');
  reporter.step(`Creating a token for ${user}`);
  const { token, record } = await store.create(request);
  const info = describeRecord(record);
  reporter.result(
    { token, ...info },
    `created token ${record.id} for ${record.user} (user id ${record.userId}; ${info.permissions}; scopes ${scopesText(record.scopes)}; expires ${record.expiresAt ?? 'never'})\n${token}\nThis is the only time the token is shown: give it to ${record.user} now (\`pesde auth login --index <url> --token <token>\`).`,
  );
}

export async function tokenListCommand(reporter: Reporter, flags: StorageFlags): Promise<void> {
  const store = await openTokenStore(flags, 'token list');
  const { records, problems } = await store.readAll();
  for (const problem of problems) reporter.warn(`skipped: ${problem}`);
  const tokens = records.map((r) => describeRecord(r));
  const lines = tokens.map((t) =>
    [t.id, `${t.user} (${t.userId})`, t.status, t.permissions, `scopes ${scopesText(t.scopes)}`, `created ${t.createdAt.slice(0, 10)}`, `expires ${t.expiresAt?.slice(0, 10) ?? 'never'}`, t.note === '' ? '' : `"${t.note}"`]
      .filter((s) => s !== '')
      .join('  '),
  );
  reporter.result({ tokens, problems }, tokens.length === 0 ? 'no tokens yet (create one with `pesde-registry token create --user <name>`)' : `${tokens.length} tokens:\n${lines.join('\n')}`);
}

export async function tokenRevokeCommand(reporter: Reporter, tokenId: unknown, flags: StorageFlags): Promise<void> {
  const id = String(tokenId ?? '');
  if (!isTokenId(id)) throw usageError(`"${id}" is not a token id (like t3f9a12bc4d5e; see \`pesde-registry token list\`)`);
  const store = await openTokenStore(flags, 'token revoke');
  const record = await store.revoke(id);
  reporter.result(describeRecord(record), `revoked token ${record.id} of ${record.user}; every server refuses it within one refresh interval`);
}

function scopesText(scopes: string[] | 'all'): string {
  return scopes === 'all' ? 'all' : scopes.join(',');
}
