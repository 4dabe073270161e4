/**
 * bench/RESULTS.md: one section per script (`## <name>`), each replaced by that script's
 * next run. Sections written by anything else (the `## load` section) are kept as they are.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { BENCH_DIR } from './paths.js';

export const RESULTS_FILE = path.join(BENCH_DIR, 'RESULTS.md');

const PREAMBLE = `# Benchmark results

Written by the scripts in \`bench/\` (see \`bench/README.md\`); each script replaces its own
section. Every figure is compared with a baseline measured in the same run, on the same
machine, so the ratios mean more than the absolute numbers.
`;

/** Machine and tool versions, so a section can be compared with another run's. */
export function environmentLine(): string {
  let gitVersion = 'git ?';
  try {
    gitVersion = execFileSync('git', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // git missing is reported by the benchmark itself
  }
  const cpus = os.cpus();
  return `${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}; Node ${process.version}; ${cpus.length} CPU (${cpus[0]?.model.trim() ?? '?'}); ${Math.round(os.totalmem() / 2 ** 30)} GiB; ${gitVersion}; load average at start ${os.loadavg()[0]!.toFixed(2)}`;
}

/** Splits the file into its preamble and `## ` sections, in order. */
function splitSections(text: string): { preamble: string; sections: Array<{ name: string; text: string }> } {
  const lines = text.split('\n');
  const sections: Array<{ name: string; text: string }> = [];
  const preamble: string[] = [];
  let current: { name: string; lines: string[] } | null = null;
  const flush = () => {
    if (current !== null) sections.push({ name: current.name, text: `${current.lines.join('\n').trimEnd()}\n` });
  };
  for (const line of lines) {
    // the whole title: a section named in several words is found again by all of them
    const heading = /^## +(.+?)\s*$/.exec(line);
    if (heading !== null) {
      flush();
      current = { name: heading[1]!, lines: [line] };
    } else if (current !== null) current.lines.push(line);
    else preamble.push(line);
  }
  flush();
  return { preamble: `${preamble.join('\n').trimEnd()}\n`, sections };
}

/**
 * Replaces (or appends) the section `## <name>`. Read and written in one synchronous step,
 * then renamed into place, so another script writing its own section a moment later keeps ours.
 */
export function writeResultsSection(name: string, body: string): void {
  const text = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : PREAMBLE;
  const { preamble, sections } = splitSections(text);
  const section = { name, text: `## ${name}\n\n${body.trim()}\n` };
  const at = sections.findIndex((s) => s.name === name);
  if (at >= 0) sections[at] = section;
  else sections.push(section);
  const out = [preamble.trim() === '' ? PREAMBLE : preamble, ...sections.map((s) => s.text)].join('\n');
  const temp = `${RESULTS_FILE}.${process.pid}.tmp`;
  writeFileSync(temp, out);
  renameSync(temp, RESULTS_FILE);
}
