/** A process's CPU time as sampled during a load. */
export interface CpuSample {
  /** ms since the load started */
  at: number;
  /** the process's CPU time so far (ms) */
  cpuMs: number;
}

/** A held level's average hides its peak: the arrivals' set-ups land while the streams already open are busiest. */
export const BUSY_WINDOW_MS = 500;

/**
 * The busiest stretch of at least `BUSY_WINDOW_MS` between two samples: the share of one core the process used
 * then (%, whole) and when (the stretch's middle, ms since the load started). `/proc` counts CPU in 10 ms ticks,
 * 2 % of a window. Undefined when the samples do not span one window.
 */
export function busiest(samples: readonly CpuSample[]): { gatewayPeakBusyPercent: number; gatewayPeakAtMs: number } | undefined {
  let best: { gatewayPeakBusyPercent: number; gatewayPeakAtMs: number } | undefined;
  let end = 0;
  for (const start of samples) {
    while (end < samples.length && samples[end]!.at - start.at < BUSY_WINDOW_MS) end++;
    if (end === samples.length) break;
    const last = samples[end]!;
    const percent = Math.round(((last.cpuMs - start.cpuMs) / (last.at - start.at)) * 100);
    if (!best || percent > best.gatewayPeakBusyPercent) best = { gatewayPeakBusyPercent: percent, gatewayPeakAtMs: Math.round((start.at + last.at) / 2) };
  }
  return best;
}
