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
