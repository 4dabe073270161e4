/**
 * Which dependency sources a published package may use, per the index's config.toml.
 *
 * As the official registry: only standard and peer dependencies are checked against the
 * allow lists (dev dependencies are never installed by dependants); a pesde dependency is
 * always allowed on this registry's own index. Differences, deliberate:
 *  - workspace and path dependencies are refused in every table, dev included: the client
 *    never uploads them, and an index entry cannot represent them;
 *  - an `index` that is not a URL (an index *name* such as "default", left untransformed)
 *    is refused with its own message rather than parsed as a local path;
 *  - listing this registry's own index in `other_registries_allowed` does not allow every
 *    other index (the official `is_allowed_or_same` does, by accident).
 */
import { RegistryError } from '../errors.js';
import { canonicalRepoUrl, isAllowed, sameRepoUrl } from '../index-repo/allow-list.js';
import type { IndexConfig } from '../index-repo/types.js';
import { DEPENDENCY_TABLES } from './manifest.js';
import type { ManifestDependencyEntry } from './manifest.js';

const invalid = (message: string): RegistryError => new RegistryError('invalid_package', message);

export function checkDependencySources(
  deps: Record<string, ManifestDependencyEntry>,
  config: IndexConfig,
  ownIndexUrls: string[],
): void {
  for (const [alias, [spec, type]] of Object.entries(deps)) {
    const where = `pesde.toml: ${DEPENDENCY_TABLES[type]}.${alias}`;
    if ('workspace' in spec) {
      throw invalid(`${where}: workspace dependencies cannot be published: publish with the pesde client, which turns them into index dependencies`);
    }
    if (!('name' in spec) && !('wally' in spec) && !('repo' in spec)) {
      throw invalid(`${where}: path dependencies cannot be published: depend on a published version instead`);
    }
    if (type === 'dev') continue;
    if ('name' in spec) {
      requireUrl(spec.index, where);
      const own = ownIndexUrls.some((url) => sameRepoUrl(url, spec.index));
      if (!own && !isAllowed(config.other_registries_allowed, spec.index)) {
        throw invalid(`${where}: depends on a package from another index (${spec.index}), which this registry does not allow (other_registries_allowed in its config.toml)`);
      }
    } else if ('wally' in spec) {
      requireUrl(spec.index, where);
      if (!isAllowed(config.wally_allowed, spec.index)) {
        throw invalid(`${where}: depends on a Wally package from ${spec.index}, which this registry does not allow (wally_allowed in its config.toml)`);
      }
    } else if (!isAllowed(config.git_allowed, spec.repo)) {
      throw invalid(`${where}: depends on the Git repository ${spec.repo}, which this registry does not allow (git_allowed in its config.toml)`);
    }
  }
}

function requireUrl(index: string, where: string): void {
  if (canonicalRepoUrl(index) === undefined) {
    throw invalid(`${where}: index ${JSON.stringify(index)} is not a URL: publish with the pesde client, which replaces index names with their URLs`);
  }
}
