import { cliActor } from '../audit/cli-actor.js';
import { usageError } from '../errors.js';
import { openLocalIndex } from '../index-repo/local-index.js';
import { setDeprecated, setYanked, type MutationResult } from '../index-repo/mutations.js';
import { parseTargetKind } from '../index-repo/names.js';
import type { TargetKind } from '../index-repo/types.js';
import type { Reporter } from '../output.js';
import { parseOwnerFlag } from './flag-values.js';
import { localBehindWarning } from './publish.js';

interface AdminFlags {
  index: string;
  owner: string;
  push: boolean;
  /** set: ask this running registry over HTTP instead of changing a local clone */
  registry?: string;
}

const remote = () => import('../registry-client/remote-admin.js');

async function context(reporter: Reporter, flags: AdminFlags) {
  const index = await openLocalIndex(flags.index, { requireRemote: flags.push, keepFacts: true });
  return {
    index: flags.push ? index : { ...index, remote: null },
    onRetry: (attempt: number) => reporter.info(`the index moved (someone else pushed); rebuilding on the new tip (attempt ${attempt + 1})`),
  };
}

function report(reporter: Reporter, result: MutationResult, pushed: boolean, dir: string): void {
  if (!result.localUpdated) reporter.warn(localBehindWarning(dir));
  reporter.result(
    { summary: result.summary, commit: result.commit, attempts: result.attempts, pushed },
    `${result.summary} (commit ${result.commit.slice(0, 8)}${pushed ? ', pushed' : ', not pushed'})`,
  );
}

function parseTargetArg(value: unknown): TargetKind | 'all' {
  if (value === undefined || value === 'all') return 'all';
  return parseTargetKind(String(value));
}

export function yankCommand(yanked: boolean) {
  return async (reporter: Reporter, name: unknown, version: unknown, target: unknown, flags: AdminFlags): Promise<void> => {
    if (flags.registry !== undefined) {
      return (await remote()).yankThroughRegistry(reporter, { name: String(name), version: String(version), target: String(target ?? 'all'), yanked }, { ...flags, registry: flags.registry });
    }
    const ctx = await context(reporter, flags);
    reporter.step(`${yanked ? 'Yanking' : 'Unyanking'} ${String(name)}@${String(version)}`);
    const publisherId = parseOwnerFlag(flags.owner);
    const result = await setYanked(ctx, { name: String(name), version: String(version), target: parseTargetArg(target), yanked, publisherId, actor: await cliActor(flags.index, publisherId, ctx.index.facts) });
    report(reporter, result, flags.push, flags.index);
  };
}

export async function deprecateCommand(reporter: Reporter, name: unknown, reason: unknown, flags: AdminFlags): Promise<void> {
  const text = String(reason ?? '').trim();
  if (text === '') throw usageError('deprecate needs a non-empty reason, e.g. pesde-registry deprecate acme/foo "use acme/bar instead"');
  if (flags.registry !== undefined) return (await remote()).deprecateThroughRegistry(reporter, { name: String(name), reason: text }, { ...flags, registry: flags.registry });
  const ctx = await context(reporter, flags);
  reporter.step(`Deprecating ${String(name)}`);
  const publisherId = parseOwnerFlag(flags.owner);
  report(reporter, await setDeprecated(ctx, { name: String(name), reason: text, publisherId, actor: await cliActor(flags.index, publisherId, ctx.index.facts) }), flags.push, flags.index);
}

export async function undeprecateCommand(reporter: Reporter, name: unknown, flags: AdminFlags): Promise<void> {
  if (flags.registry !== undefined) return (await remote()).deprecateThroughRegistry(reporter, { name: String(name), reason: '' }, { ...flags, registry: flags.registry });
  const ctx = await context(reporter, flags);
  reporter.step(`Undeprecating ${String(name)}`);
  const publisherId = parseOwnerFlag(flags.owner);
  report(reporter, await setDeprecated(ctx, { name: String(name), reason: '', publisherId, actor: await cliActor(flags.index, publisherId, ctx.index.facts) }), flags.push, flags.index);
}
