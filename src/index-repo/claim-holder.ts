/**
 * Who holds a version claim, written into the claim's commit, and whether that holder is
 * known to be gone. A process id means something only inside its own PID namespace on its
 * own running kernel: two containers with one hostname (a compose service with `hostname:`
 * set, `--network host`, `hostNetwork: true` pods) each have their own pid 27, so "no pid
 * 27 here" says nothing about the other's. On Linux a holder is therefore named by the
 * kernel's boot id and the PID namespace, and judged gone only from that same namespace;
 * elsewhere (no PID namespaces) by its hostname.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { processAlive } from '../process-alive.js';

export interface ClaimHolder {
  host: string;
  /** where `pid` means this process: `<boot id> <pid namespace>` on Linux, `host:<hostname>` elsewhere; null when unknown */
  machine: string | null;
  pid: number;
}

let ours: ClaimHolder | undefined;

export function thisHolder(): ClaimHolder {
  ours ??= { host: hostname(), machine: machineOf(), pid: process.pid };
  return ours;
}

function machineOf(): string | null {
  if (process.platform !== 'linux') return `host:${hostname()}`;
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const namespace = readlinkSync('/proc/self/ns/pid');
    return /^[0-9a-f-]{36}$/.test(boot) && /^pid:\[\d+\]$/.test(namespace) ? `${boot} ${namespace}` : null;
  } catch {
    // a /proc that is not there or not readable: no holder here can be judged gone
    return null;
  }
}

/** The trailer lines that name this process as a claim's holder. */
export function holderTrailers(): string {
  const { host, machine, pid } = thisHolder();
  return `Holder-host: ${host}\n${machine === null ? '' : `Holder-machine: ${machine}\n`}Holder-pid: ${pid}\n`;
}

/** True only when the holder named in a claim's message ran where this process runs and is gone. */
export function holderIsGone(message: string): boolean {
  const machine = /^Holder-machine: (.+)$/m.exec(message)?.[1];
  const pid = Number(/^Holder-pid: (\d+)$/m.exec(message)?.[1]);
  const here = thisHolder().machine;
  return here !== null && machine === here && Number.isInteger(pid) && pid > 0 && !processAlive(pid);
}

