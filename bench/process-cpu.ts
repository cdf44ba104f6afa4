/** What a process, or a core, has spent, read from `/proc`: shared by the bench and its experiments. */
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;

/** Resident memory (bytes) of a process, from /proc. */
export function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/**
 * The time core `core` has been busy (ms), whoever ran on it: `/proc/stat`'s user, nice, system, irq and softirq
 * ticks (guest time is inside user's; idle, I/O wait and time stolen by the hypervisor are not busy).
 */
export function coreBusyMs(core: string): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((entry) => entry.startsWith(`cpu${core} `))!;
  const [user, nice, system, , , irq, softirq] = line.split(/\s+/).slice(1).map(Number);
  return ((user! + nice! + system! + irq! + softirq!) / CLOCK_TICKS_PER_SECOND) * 1000;
}

/** The fields of `/proc/<pid>/stat` after the process's name (which may hold spaces): [0] its state, [1] its parent. */
export function procStat(pid: number): string[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
}

/** A thread's time on a CPU (ns) as the scheduler counts it; undefined for one that has ended since its directory was read. */
function threadRunNs(pid: number, thread: string): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/**
 * Whether this kernel keeps each thread's run time (`/proc/<pid>/task/<tid>/schedstat`): a kernel without
 * sched_info has no such file, or one of zeros, where this process has surely run by now.
 */
export const SCHEDSTAT = (threadRunNs(process.pid, String(process.pid)) ?? 0) > 0;

/** A process's CPU (ms) so far: all its threads, and (where `schedstat` gives threads apart) its main thread's part. */
export interface ProcessCpu {
  totalMs: number;
  /** The rest of the total is its helper threads': V8 compiling and collecting, libuv's pool, workers. */
  mainThreadMs?: number;
}

/**
 * A process's CPU time from now on, all its threads, kernel time included: the scheduler's own count in
 * nanoseconds (`schedstat`), where the kernel keeps one; else `stat`'s 10 ms clock ticks, whose count at c=1 (a
 * request of 2-3 ms takes a tick or none) reaches a stable mean only over many requests. Each thread's time is taken
 * as it grows between two readings, so a thread that ends takes none of the total back with it (a process's
 * threads are listed anew each time; `stat` keeps ended threads' time itself). The main thread's part comes from
 * the same readings, so it is never more than the total.
 */
export function cpuCounter(pid: number): () => ProcessCpu {
  if (!SCHEDSTAT) {
    const ticksMs = () => {
      const fields = procStat(pid);
      return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND) * 1000;
    };
    const start = ticksMs();
    return () => ({ totalMs: ticksMs() - start });
  }
  const main = String(pid);
  const threadsNow = () =>
    readdirSync(`/proc/${pid}/task`).flatMap((thread) => {
      const ns = threadRunNs(pid, thread);
      return ns === undefined ? [] : [[thread, ns] as const];
    });
  // A thread first seen after this started after it too: all its time counts.
  const seen = new Map<string, number>(threadsNow());
  let grownNs = 0;
  let mainGrownNs = 0;
  return () => {
    for (const [thread, ns] of threadsNow()) {
      const grown = ns - (seen.get(thread) ?? 0);
      grownNs += grown;
      if (thread === main) mainGrownNs += grown;
      seen.set(thread, ns);
    }
    return { totalMs: grownNs / 1e6, mainThreadMs: mainGrownNs / 1e6 };
  };
}
