import { usageError } from '../errors.js';
import { isHttpUrl, isUrl } from '../index-repo/url-forms.js';
import { parsePackageName } from '../index-repo/names.js';
import type { AllowList } from '../index-repo/types.js';

/** `true`, `false`, or a comma-separated URL list, as taken by the `--*-allowed` flags. */
export function parseAllowFlag(flag: string, value: string): AllowList {
  const trimmed = value.trim();
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  const urls = trimmed.split(',').map((u) => u.trim()).filter((u) => u !== '');
  if (urls.length === 0) throw usageError(`${flag}: expected true, false or comma-separated URLs, got "${value}"`);
  for (const url of urls) {
    if (!isUrl(url)) throw usageError(`${flag}: "${url}" is not a URL (expected true, false or comma-separated URLs)`);
  }
  return urls;
}

export function parseHttpUrlFlag(flag: string, value: string): string {
  if (!isHttpUrl(value)) throw usageError(`${flag}: "${value}" is not an http(s) URL, e.g. https://registry.example.com`);
  return value;
}

export function parsePositiveIntFlag(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw usageError(`${flag}: "${value}" is not a positive whole number`);
  }
  return n;
}

export function parseOwnerFlag(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw usageError(`--owner: "${value}" is not a publisher id (a whole number such as a GitHub user id, or 0)`);
  }
  return n;
}

export function parsePackageListFlag(flag: string, value: string): string[] {
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  return names.map((name) => {
    try {
      return parsePackageName(name).full;
    } catch (error) {
      throw usageError(`${flag}: ${(error as Error).message}`);
    }
  });
}

const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `24h`, `7d` or `0`, in milliseconds. */
export function parseDurationFlag(flag: string, value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/.exec(value);
  if (match === null || (match[2] === '' && Number(match[1]) !== 0)) {
    throw usageError(`${flag}: "${value}" is not a duration such as 30m, 24h or 7d`);
  }
  return Math.round(Number(match[1]) * (DURATION_UNITS[match[2]!] ?? 0));
}
