/** Small statistics and formatting shared by the benchmark scripts. */

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function ms(value: number, digits = 1): string {
  return `${value.toFixed(digits)} ms`;
}

export function ratio(value: number): string {
  return value.toFixed(2);
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function perSecond(value: number): string {
  return `${Math.round(value).toLocaleString('en-US')}/s`;
}

export interface Figure {
  name: string;
  value: string;
  target: string;
  /** null when the figure has no target (context only) */
  met: boolean | null;
}

/** A markdown table of figures beside their targets. */
export function figureTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => `| ${f.name} | ${f.value} | ${f.target || '-'} | ${f.met === null ? '' : f.met ? 'met' : '**missed**'} |`);
  return ['| figure | value | target | |', '|---|---|---|---|', ...rows].join('\n');
}

