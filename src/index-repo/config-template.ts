import type { AllowList } from './types.js';
import { DEFAULT_DOWNLOAD_TEMPLATE, DEFAULT_MAX_ARCHIVE_SIZE } from './config.js';

export interface ConfigTemplateValues {
  api: string;
  download?: string;
  github_oauth_client_id?: string;
  git_allowed?: AllowList;
  other_registries_allowed?: AllowList;
  wally_allowed?: AllowList;
  max_archive_size?: number;
  scripts_packages?: string[];
}

const str = (value: string): string => JSON.stringify(value);
const list = (values: string[]): string => `[${values.map(str).join(', ')}]`;
const allow = (value: AllowList): string => (typeof value === 'boolean' ? String(value) : list(value));

interface Option {
  key: keyof ConfigTemplateValues;
  why: string;
  set: string | undefined;
  fallback: string;
}

/**
 * Every option appears: the ones given as values, the others commented out at their default,
 * so an admin sees the whole surface without reading the docs.
 */
export function renderConfigTemplate(values: ConfigTemplateValues): string {
  const options: Option[] = [
    { key: 'download', why: 'Archive URL template; {PACKAGE}, {PACKAGE_VERSION} and {PACKAGE_TARGET} are filled in by the client.', set: values.download && str(values.download), fallback: str(DEFAULT_DOWNLOAD_TEMPLATE) },
    { key: 'github_oauth_client_id', why: 'Client id of the GitHub OAuth app used for `pesde auth login` (GitHub auth mode).', set: values.github_oauth_client_id && str(values.github_oauth_client_id), fallback: '"<client id>"' },
    { key: 'git_allowed', why: 'May packages depend on Git repositories? true, false, or a list of allowed repository URLs.', set: values.git_allowed === undefined ? undefined : allow(values.git_allowed), fallback: 'false' },
    { key: 'other_registries_allowed', why: 'May packages depend on other pesde indices? This index is always allowed.', set: values.other_registries_allowed === undefined ? undefined : allow(values.other_registries_allowed), fallback: 'false' },
    { key: 'wally_allowed', why: 'May packages depend on Wally packages? true, false, or a list of allowed Wally index URLs.', set: values.wally_allowed === undefined ? undefined : allow(values.wally_allowed), fallback: 'false' },
    { key: 'max_archive_size', why: 'Largest accepted package archive, in bytes (compressed).', set: values.max_archive_size === undefined ? undefined : String(values.max_archive_size), fallback: String(DEFAULT_MAX_ARCHIVE_SIZE) },
    { key: 'scripts_packages', why: 'Script packages offered by `pesde init` (scope/name).', set: values.scripts_packages === undefined ? undefined : list(values.scripts_packages), fallback: '[]' },
  ];
  const lines = [
    '# pesde index configuration: https://docs.pesde.dev/registry/self-hosting/',
    '# Base URL of the registry API (the `pesde-registry serve` address as clients reach it).',
    `api = ${str(values.api)}`,
  ];
  for (const option of options) {
    lines.push('', `# ${option.why}`);
    lines.push(option.set === undefined ? `# ${option.key} = ${option.fallback}` : `${option.key} = ${option.set}`);
  }
  return `${lines.join('\n')}\n`;
}
