/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): the frames with the most self
 * time, and the most inclusive time, so a profile can be read without a browser.
 *
 * With `--tasks`, the longest stretches without an idle sample instead (what held the event
 * loop), each with its frames of most self time.
 *
 *   node --import tsx bench/lib/cpu-profile.ts <file.cpuprofile> [--top 25] [--tasks]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FrameTime {
  frame: string;
  selfMs: number;
  totalMs: number;
}

function frameName(node: ProfileNode, root: string): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url === '' ? '' : url.replace(/^file:\/\//, '').replace(`${root}/`, '');
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
}

export function summariseProfile(profile: CpuProfile, root = process.cwd()): { totalMs: number; frames: FrameTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const name = frameName(node, root);
    self.set(name, (self.get(name) ?? 0) + us);
    // a recursive frame counts once per sample for inclusive time
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at);
      if (n === undefined) break;
      const key = frameName(n, root);
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + us);
    }
  }
  const frames = [...total.keys()].map((frame) => ({ frame, selfMs: (self.get(frame) ?? 0) / 1000, totalMs: (total.get(frame) ?? 0) / 1000 }));
  return { totalMs: (profile.endTime - profile.startTime) / 1000, frames };
}

export async function printProfile(file: string, top = 25, root = process.cwd()): Promise<void> {
  const { totalMs, frames } = summariseProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, root);
  const line = (f: FrameTime) => `${f.selfMs.toFixed(1).padStart(9)} ${f.totalMs.toFixed(1).padStart(9)}  ${f.frame}`;
  console.log(`${path.basename(file)}: ${totalMs.toFixed(0)} ms profiled`);
  console.log('  self ms  total ms  frame (by self time)');
  for (const f of [...frames].sort((a, b) => b.selfMs - a.selfMs).slice(0, top)) console.log(line(f));
  console.log('  self ms  total ms  frame (by inclusive time)');
  for (const f of [...frames].sort((a, b) => b.totalMs - a.totalMs).slice(0, top)) console.log(line(f));
}

export interface Task {
  /** from the profile's start */
  atMs: number;
  ms: number;
  frames: FrameTime[];
}

/** Stretches of samples with no idle one between them, longest first: each is a turn (or a run of turns) of the event loop. */
export function longestTasks(profile: CpuProfile, count: number, root = process.cwd()): Task[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const stretches: Array<{ from: number; to: number; ms: number; at: number }> = [];
  let from = -1;
  let us = 0;
  let at = 0;
  let startAt = 0;
  const close = (to: number) => {
    if (from >= 0) stretches.push({ from, to, ms: us / 1000, at: startAt / 1000 });
    from = -1;
    us = 0;
  };
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (byId.get(id)?.callFrame.functionName === '(idle)') return close(i);
    if (from < 0) {
      from = i;
      startAt = at;
    }
    us += delta;
  });
  close(profile.samples.length);
  return stretches
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count)
    .map((s) => {
      const part: CpuProfile = { ...profile, samples: profile.samples.slice(s.from, s.to), timeDeltas: profile.timeDeltas.slice(s.from, s.to) };
      return { atMs: s.at, ms: s.ms, frames: summariseProfile(part, root).frames };
    });
}

export async function printTasks(file: string, count = 10, top = 8, root = process.cwd()): Promise<void> {
  const tasks = longestTasks(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, count, root);
  console.log(`${path.basename(file)}: the ${tasks.length} longest stretches without an idle sample`);
  for (const task of tasks) {
    console.log(`${task.ms.toFixed(1).padStart(8)} ms at ${(task.atMs / 1000).toFixed(2)} s; self ms, total ms, frame:`);
    for (const f of [...task.frames].sort((a, b) => b.selfMs - a.selfMs).slice(0, top)) console.log(`    ${f.selfMs.toFixed(1).padStart(7)} ${f.totalMs.toFixed(1).padStart(7)}  ${f.frame}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, tasks: { type: 'boolean', default: false } } });
  for (const file of positionals) {
    if (values.tasks) await printTasks(file, Number(values.top));
    else await printProfile(file, Number(values.top));
  }
}
