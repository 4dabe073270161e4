/**
 * Where a command's time goes among the git processes it runs: git's own trace2 events
 * (GIT_TRACE2_EVENT=<file>) give every git process's argv and run time, nested processes
 * (upload-pack under fetch) included, without touching the code under test.
 */
import { readFile } from 'node:fs/promises';

export interface GitCall {
  argv: string;
  ms: number;
  /** when it started and exited, ms since the epoch (trace2's `time`) */
  startMs: number;
  endMs: number;
}

interface Trace2Event {
  event: string;
  sid: string;
  argv?: string[];
  t_abs?: number;
  time?: string;
}

/** Top-level git processes (not their children), in the order they started. */
export async function gitCalls(traceFile: string): Promise<GitCall[]> {
  const text = await readFile(traceFile, 'utf8').catch(() => '');
  const argvBySid = new Map<string, string>();
  const startBySid = new Map<string, number>();
  const calls: GitCall[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const event = JSON.parse(line) as Trace2Event;
    // a child's sid is its parent's sid, '/', and its own
    if (event.sid.includes('/')) continue;
    if (event.event === 'start' && event.argv !== undefined) {
      argvBySid.set(event.sid, event.argv.slice(1).join(' '));
      startBySid.set(event.sid, Date.parse(event.time ?? ''));
    }
    if (event.event === 'exit' && event.t_abs !== undefined) {
      const endMs = Date.parse(event.time ?? '');
      calls.push({ argv: argvBySid.get(event.sid) ?? '?', ms: event.t_abs * 1000, startMs: startBySid.get(event.sid) ?? endMs - event.t_abs * 1000, endMs });
    }
  }
  return calls;
}

/**
 * How long at least one git process was running: the union of their intervals. A long-lived
 * process (a `cat-file --batch` open for a whole write) overlaps the others, so the sum of
 * their run times would count the same milliseconds twice.
 */
export function gitBusyMs(calls: readonly GitCall[]): number {
  const spans = calls.map((c) => [c.startMs, c.endMs] as const).sort((a, b) => a[0] - b[0]);
  let busy = 0;
  let end = -Infinity;
  for (const [from, to] of spans) {
    if (from > end) {
      busy += to - from;
      end = to;
    } else if (to > end) {
      busy += to - end;
      end = to;
    }
  }
  return busy;
}
