/**
 * Where a running process's CPU time has gone, thread by thread, from the kernel's own
 * scheduler counters (/proc/<pid>/task/<tid>/schedstat: nanoseconds on a CPU, nanoseconds
 * runnable but waiting for one). A start-up that is short of CPU shows it here as waiting
 * time, which no profile taken inside the process can see.
 */
import { readdir, readFile } from 'node:fs/promises';

export interface CpuTime {
  /** on a CPU */
  runMs: number;
  /** runnable, waiting for a CPU */
  waitMs: number;
}

export interface ProcessCpu {
  /** the thread that runs JavaScript (its id is the process's) */
  main: CpuTime;
  /** every other thread of the process: for Node, V8's compiler and GC helpers and libuv's pool */
  helpers: CpuTime;
  /** child processes still running (for the registry, its `git cat-file`), with their threads */
  children: CpuTime;
}

const ZERO: CpuTime = { runMs: 0, waitMs: 0 };
const add = (a: CpuTime, b: CpuTime): CpuTime => ({ runMs: a.runMs + b.runMs, waitMs: a.waitMs + b.waitMs });

async function threadTime(pid: number, tid: string): Promise<CpuTime> {
  const text = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => '');
  const [run, wait] = text.trim().split(/\s+/).map(Number);
  return run === undefined || wait === undefined || Number.isNaN(run) ? ZERO : { runMs: run / 1e6, waitMs: wait / 1e6 };
}

async function tasksOf(pid: number): Promise<string[]> {
  return readdir(`/proc/${pid}/task`).catch(() => []);
}

/** The process's threads, and the live processes it started (each with all its threads). */
export async function processCpu(pid: number): Promise<ProcessCpu> {
  let main = ZERO;
  let helpers = ZERO;
  const children: number[] = [];
  for (const tid of await tasksOf(pid)) {
    const time = await threadTime(pid, tid);
    if (tid === String(pid)) main = time;
    else helpers = add(helpers, time);
    const listed = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '');
    for (const child of listed.trim().split(/\s+/)) if (child !== '') children.push(Number(child));
  }
  let childTime = ZERO;
  for (const child of children) for (const tid of await tasksOf(child)) childTime = add(childTime, await threadTime(child, tid));
  return { main, helpers, children: childTime };
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times, on every architecture Node runs on */
const CLOCK_TICKS = 100;

/**
 * CPU time of this process's children that have exited and been waited for: short-lived
 * ones (a baseline's git) leave no /proc entry to read, only this sum (10 ms resolution).
 */
export async function reapedChildrenCpuMs(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  // the fields after the command name, which is in parentheses and may hold spaces
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // cutime and cstime are fields 16 and 17 of the whole line (14 and 15 after the name)
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
}
