/** What every benchmark script shares: its flags, the server profile, and its report. */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { printProfile } from './cpu-profile.js';
import { OUT_DIR, ensureBuilt } from './paths.js';
import { environmentLine, writeResultsSection } from './results.js';
import { figureTable, type Figure } from './stats.js';

export interface ScriptFlags {
  /** shorter runs, for trying a change; not written to RESULTS.md */
  quick: boolean;
  /** profile the server process (node --cpu-prof) and print its top frames */
  profile: boolean;
}

export function scriptFlags(): ScriptFlags {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false } }, strict: true });
  ensureBuilt();
  return { quick: values.quick ?? false, profile: values.profile ?? false };
}

/** A fresh folder for one server's CPU profile. */
export async function profileDir(name: string): Promise<string> {
  const dir = path.join(OUT_DIR, 'profiles', name);
  await rm(dir, { recursive: true, force: true });
  return dir;
}

export async function printProfiles(dir: string, top = 20): Promise<void> {
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.cpuprofile'));
  for (const f of files) await printProfile(path.join(dir, f), top);
}

/** Prints the figures and, unless this was a quick run, replaces the script's RESULTS.md section. */
export function report(name: string, flags: ScriptFlags, setup: string, figures: Figure[], notes: string[] = []): void {
  const table = figureTable(figures);
  console.log(`\n${name}\n${table}\n${notes.join('\n')}`);
  if (flags.quick || flags.profile) {
    console.log(`(${flags.quick ? '--quick' : '--profile'} run: RESULTS.md left as it was)`);
    return;
  }
  const body = [`Run ${environmentLine()}.`, '', setup, '', table, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
  writeResultsSection(name, body);
  console.log(`written to bench/RESULTS.md (## ${name})`);
}
