/**
 * Where a command's time goes among the git processes it runs: git's own trace2 events
 * (GIT_TRACE2_EVENT=<file>) give every git process's argv and run time, nested processes
 * (upload-pack under fetch) included, without touching the code under test.
 */
import { readFile } from 'node:fs/promises';

export interface GitCall {
  argv: string;
  ms: number;
}

interface Trace2Event {
  event: string;
  sid: string;
  argv?: string[];
  t_abs?: number;
}

/** Top-level git processes (not their children), in the order they started. */
export async function gitCalls(traceFile: string): Promise<GitCall[]> {
  const text = await readFile(traceFile, 'utf8').catch(() => '');
  const argvBySid = new Map<string, string>();
  const calls: GitCall[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const event = JSON.parse(line) as Trace2Event;
    // a child's sid is its parent's sid, '/', and its own
    if (event.sid.includes('/')) continue;
    if (event.event === 'start' && event.argv !== undefined) argvBySid.set(event.sid, event.argv.slice(1).join(' '));
    if (event.event === 'exit' && event.t_abs !== undefined) calls.push({ argv: argvBySid.get(event.sid) ?? '?', ms: event.t_abs * 1000 });
  }
  return calls;
}
