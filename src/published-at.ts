const startNs = process.hrtime.bigint();
const startMs = BigInt(Date.now());

/**
 * RFC 3339 UTC with nanoseconds and trailing zeros trimmed, as the official registry writes
 * `published_at` (jiff's Timestamp display). Date only has milliseconds, so the clock is
 * extended with the monotonic timer.
 */
export function publishedAtNow(): string {
  const totalNs = startMs * 1_000_000n + (process.hrtime.bigint() - startNs);
  const seconds = totalNs / 1_000_000_000n;
  const fraction = totalNs % 1_000_000_000n;
  const base = new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  const digits = fraction.toString().padStart(9, '0').replace(/0+$/, '');
  return digits === '' ? `${base}Z` : `${base}.${digits}Z`;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * The registry reads `published_at` into a jiff `Timestamp` and prints it back: UTC, `Z`,
 * and only as many fraction digits as needed. Older registries wrote nine digits always
 * (`.151385320Z`); the current one rewrites those as `.15138532Z` whenever it rewrites the
 * file, so we normalise on reading to produce the same bytes.
 */
export function normalizeTimestamp(text: string): string | undefined {
  // nearly every stored timestamp is printed this way already; it alone cost a tenth of a
  // package file's parse (bench/RESULTS.md, issue 17 thirteenth pass)
  if (inCanonicalForm(text) && isRealInstant(text)) return text;
  const m = TIMESTAMP.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offsetMinutes = m[8] === undefined ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(local);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const utc = new Date(local - offsetMinutes * 60_000).toISOString().slice(0, 19);
  const fraction = (m[7] ?? '').replace(/0+$/, '');
  return `${utc}${fraction === '' ? '' : `.${fraction}`}Z`;
}

/**
 * `published_at` as jiff prints a Timestamp: UTC, `Z`, fractional seconds without trailing
 * zeros. Older entries were written with nine digits; the official registry re-prints them.
 */
export function canonicalTimestamp(text: string): string {
  const normalized = normalizeTimestamp(text);
  if (normalized !== undefined) return normalized;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : canonicalTimestamp(new Date(ms).toISOString());
}

const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/** A key that sorts timestamps chronologically as plain strings. */
export function timestampSortKey(text: string): string {
  return canonicalSortKey(text) ?? parsedSortKey(text);
}

/**
 * The key of a timestamp already in the canonical `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (what
 * the scan and the parser leave), read off without parsing: at load every package paid for a
 * regular expression and two dates here, a tenth of the whole load. undefined for any other form
 * (exported for the test that shows what the scan and the parser give takes this way).
 */
export function canonicalSortKey(text: string): string | undefined {
  if (!inCanonicalForm(text)) return undefined;
  const n = text.length;
  return n === 20 ? `${text.slice(0, 19)}.000000000` : `${text.slice(0, 19)}.${text.slice(20, n - 1).padEnd(9, '0')}`;
}

/** `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, a fraction of 1 to 9 digits without a trailing zero; the fields' ranges unchecked. */
function inCanonicalForm(text: string): boolean {
  const n = text.length;
  if (n < 20 || text.charCodeAt(n - 1) !== 0x5a /* Z */) return false;
  if (text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d || text.charCodeAt(10) !== 0x54 /* T */ || text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a) return false;
  for (const i of DIGITS) if (!isDigit(text.charCodeAt(i))) return false;
  if (n === 20) return true;
  // a canonical fraction has no trailing zero: one with it is not in that form
  return n >= 22 && n <= 30 && text.charCodeAt(19) === 0x2e && text.charCodeAt(n - 2) !== 0x30 && allDigits(text, 20, n - 1);
}

/**
 * Whether a timestamp in canonical form names a real UTC second, which the full parse prints
 * back unchanged.
 */
function isRealInstant(text: string): boolean {
  return isRealUtcSecond(Number(text.slice(0, 4)), twoDigits(text, 5), twoDigits(text, 8), twoDigits(text, 11), twoDigits(text, 14), twoDigits(text, 17));
}

/**
 * Whether these fields name a second that normalizeTimestamp's full parse accepts: a real
 * date, no leap second, and a year from 100 (Date.UTC reads 0-99 as 19xx, so the check
 * against the fields turns those away).
 */
export function isRealUtcSecond(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  if (year < 100 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function twoDigits(text: string, at: number): number {
  return (text.charCodeAt(at) - 0x30) * 10 + (text.charCodeAt(at + 1) - 0x30);
}

/** timestampSortKey by way of canonicalTimestamp: any form it accepts (exported for the test that holds the two ways to one answer). */
export function parsedSortKey(text: string): string {
  const canonical = canonicalTimestamp(text);
  const match = /^(.{19})(?:\.(\d+))?Z$/.exec(canonical);
  return match ? `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}` : canonical;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function allDigits(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

