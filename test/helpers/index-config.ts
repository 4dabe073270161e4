import type { IndexConfig } from '../../src/index-repo/types.js';

/** A config.toml as parsed, with every default, for tests that exercise rules against it. */
export const testIndexConfig = (overrides: Partial<IndexConfig> = {}): IndexConfig => ({
  api: 'https://registry.acme.test',
  git_allowed: false,
  other_registries_allowed: false,
  wally_allowed: false,
  max_archive_size: 4 * 1024 * 1024,
  scripts_packages: [],
  ...overrides,
});
