import { parse as parseToml, TomlError } from 'smol-toml';
import { RegistryError } from '../errors.js';
import type { AllowList, IndexConfig } from './types.js';
import { parsePackageName } from './names.js';
import { CONFIG_FILE } from './index-layout.js';
import { isHttpUrl, isUrl } from './url-forms.js';

/** kept here too for the callers that only parse the file */
export { CONFIG_FILE };
export const DEFAULT_MAX_ARCHIVE_SIZE = 4 * 1024 * 1024;
export const DEFAULT_DOWNLOAD_TEMPLATE =
  '{API_URL}/v1/packages/{PACKAGE}/{PACKAGE_VERSION}/{PACKAGE_TARGET}/archive';

const ALLOW_LIST_KEYS = ['git_allowed', 'other_registries_allowed', 'wally_allowed'] as const;

/**
 * Parses config.toml, collecting every problem (`key: message`) before failing, so a broken
 * config is fixed in one pass. Unknown keys are accepted and ignored, like the pesde client does.
 */
export function parseIndexConfig(text: string, where = CONFIG_FILE): IndexConfig {
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    const detail = error instanceof TomlError ? `line ${error.line}: ${error.message.split('\n')[0]}` : String(error);
    throw new RegistryError('invalid_input', `${where} is not valid TOML (${detail})`);
  }
  const problems: string[] = [];
  const config: IndexConfig = {
    api: '',
    git_allowed: false,
    other_registries_allowed: false,
    wally_allowed: false,
    max_archive_size: DEFAULT_MAX_ARCHIVE_SIZE,
    scripts_packages: [],
  };

  if (raw.api === undefined) problems.push('api: missing; set it to the base URL of the registry API, e.g. api = "https://registry.example.com"');
  else if (typeof raw.api !== 'string' || !isHttpUrl(raw.api)) problems.push(`api: ${JSON.stringify(raw.api)} is not an http(s) URL`);
  else config.api = raw.api;

  if (raw.download !== undefined) {
    if (typeof raw.download !== 'string' || raw.download.trim() === '') problems.push('download: must be a non-empty string (a URL template)');
    else config.download = raw.download;
  }
  if (raw.github_oauth_client_id !== undefined) {
    if (typeof raw.github_oauth_client_id !== 'string' || raw.github_oauth_client_id === '') problems.push('github_oauth_client_id: must be a non-empty string');
    else config.github_oauth_client_id = raw.github_oauth_client_id;
  }
  for (const key of ALLOW_LIST_KEYS) {
    const value = raw[key];
    if (value === undefined) continue;
    const parsed = parseAllowList(value);
    if (typeof parsed === 'string') problems.push(`${key}: ${parsed}`);
    else config[key] = parsed;
  }
  if (raw.max_archive_size !== undefined) {
    const size = raw.max_archive_size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) problems.push(`max_archive_size: ${JSON.stringify(size)} is not a positive whole number of bytes`);
    else config.max_archive_size = size;
  }
  if (raw.scripts_packages !== undefined) {
    if (!Array.isArray(raw.scripts_packages)) problems.push('scripts_packages: must be an array of package names');
    else {
      for (const [i, name] of raw.scripts_packages.entries()) {
        if (typeof name !== 'string') problems.push(`scripts_packages[${i}]: must be a string`);
        else {
          try {
            config.scripts_packages.push(parsePackageName(name).full);
          } catch (error) {
            problems.push(`scripts_packages[${i}]: ${(error as Error).message}`);
          }
        }
      }
    }
  }
  if (problems.length > 0) {
    throw new RegistryError('invalid_input', `${where} is invalid: ${problems.join('; ')}`);
  }
  return config;
}

/** A problem description, or the parsed list. */
export function parseAllowList(value: unknown): AllowList | string {
  if (typeof value === 'boolean') return value;
  if (!Array.isArray(value)) return 'must be true, false or an array of URLs';
  const urls: string[] = [];
  for (const item of value) {
    if (typeof item !== 'string' || !isUrl(item)) return `${JSON.stringify(item)} is not a URL`;
    urls.push(item);
  }
  return urls;
}

/** The API base without trailing slashes, as the client substitutes it into `{API_URL}`. */
export function apiBase(config: IndexConfig): string {
  return config.api.replace(/\/+$/, '');
}

export function downloadTemplate(config: IndexConfig): string {
  return (config.download ?? DEFAULT_DOWNLOAD_TEMPLATE).replaceAll('{API_URL}', apiBase(config));
}

/** The archive URL exactly as the pesde client builds it (each part percent-encoded). */
export function downloadUrl(config: IndexConfig, name: string, version: string, target: string): string {
  return downloadTemplate(config)
    .replaceAll('{PACKAGE}', encodeURIComponent(name))
    .replaceAll('{PACKAGE_VERSION}', encodeURIComponent(version))
    .replaceAll('{PACKAGE_TARGET}', encodeURIComponent(target));
}
