/** A process's (or a core's) CPU time as sampled during a load. */
export interface CpuSample {
  /** ms since sampling started, just before the load */
  at: number;
  /** the CPU time used so far (ms) */
  cpuMs: number;
}

/** A held level's average hides its peak: the arrivals' set-ups land while the streams already open are busiest. */
export const BUSY_WINDOW_MS = 500;

/**
 * The busiest stretch of at least `BUSY_WINDOW_MS` between two samples: the share of one core used then (%, whole)
 * and when (the stretch's middle, ms since the load started). `/proc` counts CPU in 10 ms ticks, 2 % of a window.
 * Undefined when the samples do not span one window.
 */
export function busiest(samples: readonly CpuSample[]): { busyPercent: number; atMs: number } | undefined {
  let best: { busyPercent: number; atMs: number } | undefined;
  let end = 0;
  for (const start of samples) {
    while (end < samples.length && samples[end]!.at - start.at < BUSY_WINDOW_MS) end++;
    if (end === samples.length) break;
    const last = samples[end]!;
    const percent = Math.round(((last.cpuMs - start.cpuMs) / (last.at - start.at)) * 100);
    if (!best || percent > best.busyPercent) best = { busyPercent: percent, atMs: Math.round((start.at + last.at) / 2) };
  }
  return best;
}

/**
 * Samples `cpuMs()` (a CPU time so far, ms: a process's or a core's) every 100 ms from now, as time since the first
 * reading; `stop` ends the sampling and gives the samples.
 */
export function sampleCpu(cpuMs: () => number): { stop: () => CpuSample[] } {
  const [startedAt, startMs] = [performance.now(), cpuMs()];
  const samples: CpuSample[] = [];
  const timer = setInterval(() => samples.push({ at: performance.now() - startedAt, cpuMs: cpuMs() - startMs }), 100);
  return {
    stop: () => {
      clearInterval(timer);
      return samples;
    },
  };
}
