/** The machine's live processes, read from /proc, for tests that check what a server leaves running. */
import { readdir, readFile, readlink } from 'node:fs/promises';

export interface LiveProcess {
  pid: number;
  ppid: number;
  /** its working folder; '' when it is not ours to read */
  cwd: string;
  args: string[];
}

/** Every process /proc lists and still has a moment later; null where there is no /proc (not Linux). */
export async function liveProcesses(): Promise<LiveProcess[] | null> {
  let entries: string[];
  try {
    entries = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  } catch {
    return null;
  }
  const found: LiveProcess[] = [];
  for (const entry of entries) {
    try {
      const status = await readFile(`/proc/${entry}/status`, 'utf8');
      const args = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').filter((arg) => arg !== '');
      const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
      found.push({ pid: Number(entry), ppid: Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1]), cwd, args });
    } catch {
      // gone since it was listed
    }
  }
  return found;
}
