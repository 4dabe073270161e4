import { createInterface } from 'node:readline/promises';
import { usageError } from '../errors.js';
import type { ConfigTemplateValues } from '../index-repo/config-template.js';
import { scaffoldIndex } from '../index-repo/scaffold.js';
import type { Reporter } from '../output.js';
import { parseAllowFlag, parseHttpUrlFlag, parsePackageListFlag, parsePositiveIntFlag } from './flag-values.js';

interface InitFlags {
  api?: string;
  download?: string;
  githubOauthClientId?: string;
  gitAllowed?: string;
  otherRegistriesAllowed?: string;
  wallyAllowed?: string;
  maxArchiveSize?: string;
  scriptsPackages?: string;
  remote?: string;
  push?: boolean;
  force?: boolean;
}

async function askApi(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question('Base URL of the registry API (e.g. https://registry.example.com): ')).trim();
  } finally {
    rl.close();
  }
}

/** Every flag is checked before anything is written, so a bad value changes nothing. */
export function configFromFlags(flags: InitFlags, api: string): ConfigTemplateValues {
  const values: ConfigTemplateValues = { api: parseHttpUrlFlag('--api', api) };
  if (flags.download !== undefined) values.download = flags.download;
  if (flags.githubOauthClientId !== undefined) values.github_oauth_client_id = flags.githubOauthClientId;
  if (flags.gitAllowed !== undefined) values.git_allowed = parseAllowFlag('--git-allowed', flags.gitAllowed);
  if (flags.otherRegistriesAllowed !== undefined) values.other_registries_allowed = parseAllowFlag('--other-registries-allowed', flags.otherRegistriesAllowed);
  if (flags.wallyAllowed !== undefined) values.wally_allowed = parseAllowFlag('--wally-allowed', flags.wallyAllowed);
  if (flags.maxArchiveSize !== undefined) values.max_archive_size = parsePositiveIntFlag('--max-archive-size', flags.maxArchiveSize);
  if (flags.scriptsPackages !== undefined) values.scripts_packages = parsePackageListFlag('--scripts-packages', flags.scriptsPackages);
  return values;
}

export async function initCommand(reporter: Reporter, dir: unknown, flags: InitFlags): Promise<void> {
  let api = flags.api;
  if (api === undefined) {
    if (!process.stdin.isTTY || reporter.json) throw usageError('--api <url> is required (the base URL clients reach the registry API at)');
    api = await askApi();
  }
  const config = configFromFlags(flags, api);
  if (flags.push && flags.remote === undefined) throw usageError('--push needs --remote <url>');
  reporter.step('Creating the index');
  const result = await scaffoldIndex({ dir: String(dir), config, remote: flags.remote, push: flags.push, force: flags.force });
  reporter.result(
    { dir: result.dir, commit: result.commit, pushed: result.pushed, remote: flags.remote ?? null },
    `index created in ${result.dir} (commit ${result.commit.slice(0, 8)}${result.pushed ? `, pushed to ${flags.remote}` : ''})`,
  );
}
