/**
 * Moving refs with expectations, all or nothing: on the remote one `git push --atomic` with a
 * lease per ref, in a repository without a remote one `update-ref --stdin` transaction. The
 * index writer (branch + releasing a publish claim) and the publish claim (create-only ref +
 * "the branch has not moved", as far as the advertisement shows) both go through here, and
 * get the answer as data.
 */
import { RegistryError } from '../errors.js';
import { redact } from '../redact.js';
import { firstLine, tryGit } from './git.js';
import type { LocalIndex } from './local-index.js';

const ZERO = '0000000000000000000000000000000000000000';

export interface RefUpdate {
  ref: string;
  /** the new value; null deletes the ref */
  to: string | null;
  /**
   * what the ref must hold now: a commit, 'absent' (create only), or 'any' (a fast-forward for a
   * branch). On a remote, a ref whose `to` is what it holds is checked against the remote's
   * advertisement only: git sends no command for it, so it can move before the others land.
   */
  expect: string | 'absent' | 'any';
}

export type PushOutcome =
  | { kind: 'pushed' }
  /** a ref did not hold what was expected (another writer moved it first) */
  | { kind: 'behind'; refs: string[] }
  /** a ref's lock file exists: a push is running, or a killed one left it */
  | { kind: 'locked'; lockFile: string }
  | { kind: 'failed'; message: string };

export async function pushRefs(index: LocalIndex, updates: readonly RefUpdate[]): Promise<PushOutcome> {
  return index.remote === null ? updateLocally(index, updates) : pushToOrigin(index, updates);
}

async function updateLocally(index: LocalIndex, updates: readonly RefUpdate[]): Promise<PushOutcome> {
  const lines = ['start'];
  for (const u of updates) {
    const old = u.expect === 'absent' ? ZERO : u.expect === 'any' ? '' : u.expect;
    lines.push(u.to === null ? `delete ${u.ref} ${old}`.trimEnd() : `update ${u.ref} ${u.to} ${old}`.trimEnd());
  }
  lines.push('prepare', 'commit', '');
  const result = await tryGit(index.dir, ['update-ref', '--stdin'], { input: lines.join('\n') });
  if (result.exitCode === 0) return { kind: 'pushed' };
  const lock = /Unable to create '([^']+\.lock)': File exists/.exec(result.stderr);
  if (lock) return { kind: 'locked', lockFile: lock[1]! };
  // update-ref names the ref whose expectation failed ("cannot lock ref 'x': is at y but expected z")
  const named = updates.filter((u) => result.stderr.includes(u.ref)).map((u) => u.ref);
  return { kind: 'behind', refs: named.length > 0 ? named : updates.map((u) => u.ref) };
}

/** `git push` to origin with a lease per ref, each ref's expectation as git spells it. */
function pushArgs(flags: readonly string[], updates: readonly RefUpdate[]): string[] {
  const args = ['push', ...flags];
  for (const u of updates) {
    if (u.expect === 'absent') args.push(`--force-with-lease=${u.ref}:`);
    else if (u.expect !== 'any') args.push(`--force-with-lease=${u.ref}:${u.expect}`);
  }
  args.push('origin', ...updates.map((u) => (u.to === null ? `:${u.ref}` : `${u.to}:${u.ref}`)));
  return args;
}

async function pushToOrigin(index: LocalIndex, updates: readonly RefUpdate[]): Promise<PushOutcome> {
  const result = await tryGit(index.dir, pushArgs(['--porcelain', '--atomic'], updates), { remote: index.facts?.push });
  if (result.exitCode === 0) return { kind: 'pushed' };
  const output = `${result.stdout}\n${result.stderr}`;
  const lock = /Unable to create '([^']+\.lock)': File exists/.exec(output);
  if (lock) return { kind: 'locked', lockFile: lock[1]! };
  // porcelain: "!\t<src>:<dst>\t[rejected] (stale info)"; an atomic push names the others "(atomic push failed)"
  const behind: string[] = [];
  for (const line of result.stdout.split('\n')) {
    const [flag, spec, summary] = line.split('\t');
    if (flag !== '!' || spec === undefined || summary === undefined || /atomic push failed/.test(summary)) continue;
    if (/\[rejected\]|\[remote rejected\]|stale info|non-fast-forward|fetch first|cannot lock ref|failed to update ref/i.test(summary)) {
      behind.push(spec.slice(spec.indexOf(':') + 1));
    }
  }
  if (behind.length > 0) return { kind: 'behind', refs: behind };
  if (/\[rejected\]|non-fast-forward|fetch first|stale info|cannot lock ref|failed to update ref/i.test(output)) {
    return { kind: 'behind', refs: updates.map((u) => u.ref) };
  }
  return { kind: 'failed', message: `cannot push the index to ${index.remote}: ${firstLine(result.stderr) || firstLine(result.stdout)}` };
}

/** Refs per push of pushEach: bounds the command line, not the count. */
export const PUSH_EACH_CHUNK = 1000;

/**
 * Moves each ref on its own (not all or nothing): some may be refused while others land.
 * For holding many claims at once, where a refused one only means another writer has it.
 * Throws when the push itself fails (the remote cannot be reached).
 */
export async function pushEach(index: LocalIndex, updates: readonly RefUpdate[]): Promise<{ pushed: string[]; refused: string[] }> {
  const pushed: string[] = [];
  const refused: string[] = [];
  if (index.remote === null) {
    for (const update of updates) {
      // a ref locked by another writer's transaction is one that writer is moving: refused
      const outcome = await updateLocally(index, [update]);
      (outcome.kind === 'pushed' ? pushed : refused).push(update.ref);
    }
    return { pushed, refused };
  }
  for (let start = 0; start < updates.length; start += PUSH_EACH_CHUNK) {
    const chunk = updates.slice(start, start + PUSH_EACH_CHUNK);
    const result = await tryGit(index.dir, pushArgs(['--porcelain'], chunk), { remote: index.facts?.push });
    const answered = new Map<string, boolean>();
    // porcelain: "<flag>\t<src>:<dst>\t<summary>", flag "!" for a refused ref
    for (const line of result.stdout.split('\n')) {
      const [flag, spec] = line.split('\t');
      if (flag === undefined || spec === undefined || flag.length !== 1) continue;
      answered.set(spec.slice(spec.indexOf(':') + 1), flag !== '!');
    }
    for (const u of chunk) {
      const ok = answered.get(u.ref);
      if (ok === undefined) throw new RegistryError('git', redact(`cannot push to ${index.remote}: ${firstLine(result.stderr) || firstLine(result.stdout)}`));
      (ok ? pushed : refused).push(u.ref);
    }
  }
  return { pushed, refused };
}
