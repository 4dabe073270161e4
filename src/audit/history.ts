/**
 * The audit trail read back from the index history: each commit's time, what it did (from
 * the official first line) and who (from its audit trailer; commits without one, such as
 * the official registry's, show their git author).
 */
import { git } from '../index-repo/git.js';
import { parseAuditTrailer, type ParsedActor } from './trailer.js';

export type WriteAction = 'publish' | 'yank' | 'unyank' | 'deprecate' | 'undeprecate' | 'add-owner' | 'remove-owner' | 'other';

export interface AuditEntry {
  commit: string;
  /** committer date, ISO 8601 */
  date: string;
  subject: string;
  action: WriteAction;
  /** `scope/name` for package writes */
  package: string | null;
  scope: string | null;
  version: string | null;
  /** the targets a publish or yank touched */
  targets: string[];
  /** the audit trailer; null for commits written without one */
  actor: ParsedActor | null;
  /** `name <email>` of the git author */
  author: string;
}

export interface LogQuery {
  /** `scope/name`, or a scope alone */
  path?: string | undefined;
  limit?: number | undefined;
}

const FIELD = '\x1f';
const RECORD = '\x1e';

/** Newest first, from `commit` back. */
export async function readAuditLog(dir: string, commit: string, query: LogQuery = {}): Promise<AuditEntry[]> {
  const args = ['log', `--format=%H${FIELD}%cI${FIELD}%an <%ae>${FIELD}%s${FIELD}%(trailers:only,unfold)${RECORD}`];
  if (query.limit !== undefined) args.push(`--max-count=${query.limit}`);
  args.push(commit, '--');
  if (query.path !== undefined) args.push(query.path.includes('/') ? query.path : `${query.path}/`);
  const out = await git(dir, args);
  return out
    .split(RECORD)
    .map((record) => record.replace(/^\n/, ''))
    .filter((record) => record !== '')
    .map(parseRecord);
}

function parseRecord(record: string): AuditEntry {
  const [commit = '', date = '', author = '', subject = '', trailers = ''] = record.split(FIELD);
  const actor = trailers.split('\n').map(parseAuditTrailer).find((a) => a !== null) ?? null;
  return { commit, date, author, subject, actor, ...describeSubject(subject) };
}

type Described = Pick<AuditEntry, 'action' | 'package' | 'scope' | 'version' | 'targets'>;

/** The official registry's subjects, and ours for owners. */
export function describeSubject(subject: string): Described {
  const none: Described = { action: 'other', package: null, scope: null, version: null, targets: [] };
  let m = /^(add|yank|unyank) ([a-z0-9_]+)\/([a-z0-9_]+)@(\S+) (.+)$/.exec(subject);
  if (m !== null) {
    const [, verb = '', scope = '', name = '', version = '', targets = ''] = m;
    return { action: verb === 'add' ? 'publish' : (verb as 'yank' | 'unyank'), package: `${scope}/${name}`, scope, version, targets: targets.split(', ') };
  }
  m = /^(deprecate|undeprecate) ([a-z0-9_]+)\/([a-z0-9_]+)$/.exec(subject);
  if (m !== null) return { ...none, action: m[1] as 'deprecate' | 'undeprecate', package: `${m[2]}/${m[3]}`, scope: m[2] ?? null };
  m = /^(add owner \d+ to|remove owner \d+ from) ([a-z0-9_]+)$/.exec(subject);
  if (m !== null) return { ...none, action: m[1]?.startsWith('add') ? 'add-owner' : 'remove-owner', scope: m[2] ?? null };
  return none;
}

/** A one-line "who" for people: the trailer's name, or the git author. */
export function whoOf(entry: AuditEntry): string {
  if (entry.actor === null) return entry.author;
  return entry.actor.userId === null ? entry.actor.raw : `${entry.actor.userName} (id ${entry.actor.userId})`;
}
